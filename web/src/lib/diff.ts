/** Keeps only the fields of `body` whose value differs from `original` (for PATCH bodies). */
export function changedFields<T extends object>(original: Record<string, unknown>, body: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(body) as [keyof T & string, unknown][]) {
    if (JSON.stringify(v ?? null) !== JSON.stringify(original[k] ?? null)) out[k] = v as T[keyof T & string];
  }
  return out;
}

export const newRowKey = () => Math.random().toString(36).slice(2, 10);
