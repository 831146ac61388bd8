import { EVENT_TYPES } from "../../../common/src/enums.js";
import { errors } from "../errors.js";

/**
 * How the event stream is asked for (the events API and `licensor events list` alike): which types
 * a `type` filter means, and the opaque cursors (a position in the stream, or in the newest-first
 * list), so both speak the same cursors.
 */

/** `key.redeemed`, `entitlement.*`, or several comma-separated: the exact types meant (undefined: all). */
export function eventTypesOf(param: string | undefined, field = "type"): string[] | undefined {
  if (param === undefined || param.trim() === "") return undefined;
  const out = new Set<string>();
  for (const part of param.split(",").map((p) => p.trim())) {
    const matched = part.endsWith(".*")
      ? EVENT_TYPES.filter((t) => t.startsWith(part.slice(0, -1)))
      : EVENT_TYPES.filter((t) => t === part);
    if (matched.length === 0)
      throw errors.validation(field, `'${part}' is not an event type or subject.* (one of ${EVENT_TYPES.join(", ")})`);
    for (const t of matched) out.add(t);
  }
  return [...out];
}

/** Where the stream stands: after (txId, seq). */
export interface StreamPosition {
  txId: number;
  seq: number;
}

const encode = (s: string) => Buffer.from(s).toString("base64url");

/** The cursor of a stream position ("s" + txId.seq). */
export const streamCursor = (p: StreamPosition): string => encode(`s${p.txId}.${p.seq}`);
/** The cursor of the newest-first list, below `seq` ("n" + seq). */
export const newestCursor = (seq: number): string => encode(`n${seq}`);

function decode(cursor: string, kind: "s" | "n", field: string): number[] {
  const s = Buffer.from(cursor, "base64url").toString();
  const parts = s.slice(1).split(".").map(Number);
  if (s[0] !== kind || parts.length !== (kind === "s" ? 2 : 1) || parts.some((n) => !Number.isSafeInteger(n) || n < 0))
    throw errors.validation(field, "is not a cursor of this list (use nextCursor as returned, with the same order)");
  return parts;
}

export function parseStreamCursor(cursor: string, field = "cursor"): StreamPosition {
  const [txId, seq] = decode(cursor, "s", field) as [number, number];
  return { txId, seq };
}

export function parseNewestCursor(cursor: string, field = "cursor"): number {
  return decode(cursor, "n", field)[0] as number;
}
