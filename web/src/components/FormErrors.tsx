import { Alert, Button, Group } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { IconAlertCircle } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, isApiError } from "../api/client";
import { sentence } from "../lib/labels";

/** Server field path → Mantine form path: `features[2].name` → `features.2.name`; `body.x` → `x`. */
export function toFormPath(field: string): string {
  return field
    .replace(/\[(\d+)\]/g, ".$1")
    .replace(/^(body|querystring)\./, "")
    .replace(/^\./, "");
}

function valueAt(values: unknown, path: string): { found: boolean; value: unknown } {
  let cur: unknown = values;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !(part in (cur as Record<string, unknown>)))
      return { found: false, value: undefined };
    cur = (cur as Record<string, unknown>)[part];
  }
  return { found: true, value: cur };
}

/** A form input exists for this path when it leads to a plain value (or a list of plain values, e.g. a multiselect). */
function isInputPath(values: unknown, path: string): boolean {
  const { found, value } = valueAt(values, path);
  if (!found) return false;
  if (value === null || typeof value !== "object") return true;
  return Array.isArray(value) && value.every((v) => v === null || typeof v !== "object");
}

export type FieldMap = Record<string, string>;

/**
 * Puts each field error of an API problem under its form input and returns the words to show in
 * the form's general alert (errors without a matching input, or non-field problems), or null.
 */
export function applyApiError(form: UseFormReturnType<any, any>, err: unknown, fieldMap: FieldMap = {}): string | null {
  if (!isApiError(err)) return errorMessage(err);
  if (err.fieldErrors.length === 0) return err.message;
  const general: string[] = [];
  let placed = 0;
  for (const fe of err.fieldErrors) {
    let path = fieldMap[fe.field] ?? toFormPath(fe.field);
    // `licenseModelIds[1]` belongs to the multiselect holding the whole list.
    const parent = path.replace(/\.\d+$/, "");
    if (parent !== path && Array.isArray(valueAt(form.getValues(), parent).value) && isInputPath(form.getValues(), parent))
      path = parent;
    if (isInputPath(form.getValues(), path)) {
      form.setFieldError(path, sentence(fe.message));
      placed++;
    } else {
      general.push(`${fe.field}: ${fe.message}`);
    }
  }
  if (general.length > 0) return general.length === 1 && placed === 0 ? err.message : general.join("; ");
  return null;
}

/** The general error of a form: shown above the buttons for problems that belong to no single field. */
export function FormAlert({ error, onClose }: { error: string | null | undefined; onClose?: () => void }) {
  if (!error) return null;
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertCircle size={18} />}
      title="Could not save"
      withCloseButton={!!onClose}
      onClose={onClose}
      role="alert"
    >
      {error}
    </Alert>
  );
}

/** The end of a catalog page's form: what the server refused, then Save and Cancel. */
export function PageFormActions({
  error,
  onCloseError,
  pending,
  onCancel,
}: {
  error: string | null | undefined;
  onCloseError: () => void;
  pending: boolean;
  onCancel: () => void;
}) {
  return (
    <>
      <FormAlert error={error} onClose={onCloseError} />
      <Group>
        <Button type="submit" loading={pending}>
          Save
        </Button>
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
      </Group>
    </>
  );
}

/** Error box for a page whose data did not load. */
export function LoadError({ error, what }: { error: unknown; what?: string }) {
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertCircle size={18} />}
      title={what ? `Could not load ${what}` : "Could not load"}
    >
      {errorMessage(error)}
    </Alert>
  );
}

/**
 * Submits a Mantine form through an API call: validates on the client first, then maps the
 * server's field errors onto the inputs and keeps the rest for a <FormAlert>.
 */
export function useApiForm<V, R>(
  form: UseFormReturnType<V, any>,
  call: (values: V) => Promise<R>,
  opts: { onSuccess?: (result: R, values: V) => void; fieldMap?: FieldMap } = {},
) {
  const [error, setError] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: call,
    onSuccess: (r, v) => opts.onSuccess?.(r, v),
    onError: (e) => setError(applyApiError(form, e, opts.fieldMap)),
  });
  const onSubmit = form.onSubmit(
    (values) => {
      setError(null);
      mutation.mutate(values as V);
    },
    () => setError(null),
  );
  return { onSubmit, error, setError, pending: mutation.isPending };
}
