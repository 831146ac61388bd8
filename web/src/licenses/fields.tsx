import { ActionIcon, Button, Checkbox, Group, Select, Stack, Text, Textarea, TextInput, Tooltip } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import type { HostIdIn } from "../../../common/src/api/fulfillments";
import type { LicenseModel } from "../../../common/src/api/licenseModels";
import { keys, licenseModelsApi } from "../api/endpoints";
import { useSession } from "../auth/session";
import { newRowKey } from "../lib/diff";
import { HOST_ID_TYPES, type HostIdType } from "../lib/enums";
import { enumOptions } from "../lib/labels";
import { HOST_TYPE_LABELS, LICENSER_ROLES } from "./words";

/*
 * Form pieces the activate, upload and support dialogs share: host ID rows, the license model's
 * fulfillment-time attributes, and producer staff's policy override.
 */

export interface HostRow {
  key: string;
  type: HostIdType;
  id: string;
}
export const hostRow = (h?: Partial<HostIdIn>): HostRow => ({ key: newRowKey(), type: h?.type ?? "STRING", id: h?.id ?? "" });
export const hostsBody = (rows: HostRow[]): HostIdIn[] => rows.map((r) => ({ type: r.type, id: r.id.trim() }));
export const hostIdProblem = (v: string) =>
  v.trim() === "" ? "Enter the host ID" : /[\u0000-\u001f\u007f]/.test(v) ? "Must not contain control characters" : null;

const HOST_TYPE_OPTIONS = enumOptions(HOST_ID_TYPES, HOST_TYPE_LABELS);

/** Host ID rows (type and ID), with add and remove; `path` is the form's list of HostRow. */
export function HostRows<V extends Record<string, any>>({
  form,
  path,
  rows,
  floating,
}: {
  form: UseFormReturnType<V>;
  path: string;
  rows: HostRow[];
  /** Unknown (undefined) when the license model cannot be read (not loaded yet, or refused). */
  floating: boolean | undefined;
}) {
  return (
    <Stack gap={6}>
      <Text size="sm" fw={500}>
        {floating ? "License server IDs" : "Host IDs"}
      </Text>
      <Text size="xs" c="dimmed" mt={-4}>
        {floating === true
          ? "A floating license is served: give the host ID of 1 license server, or of 3 for a redundant triad."
          : floating === false
            ? "The machine(s) the license is locked to: the license works only where one of these IDs is found."
            : "The machine(s) the license is locked to; for a floating (served) license, 1 license server, or 3 for a redundant triad."}
      </Text>
      {rows.map((r, i) => (
        <Group key={r.key} gap="xs" align="flex-start" wrap="nowrap" data-testid="host-row">
          <Select
            aria-label={`Host ${i + 1} type`}
            w={190}
            allowDeselect={false}
            data={HOST_TYPE_OPTIONS}
            {...form.getInputProps(`${path}.${i}.type`)}
          />
          <TextInput
            aria-label={`Host ${i + 1} ID`}
            placeholder={r.type === "ETHERNET" ? "00:1A:2B:3C:4D:5E" : r.type === "VM_UUID" ? "UUID" : "Host ID"}
            style={{ flex: 1 }}
            ff="monospace"
            {...form.getInputProps(`${path}.${i}.id`)}
          />
          <Tooltip label="Remove this host">
            <ActionIcon
              variant="subtle"
              color="gray"
              mt={4}
              aria-label={`Remove host ${i + 1}`}
              disabled={rows.length === 1}
              onClick={() => form.removeListItem(path, i)}
            >
              <IconTrash size={16} />
            </ActionIcon>
          </Tooltip>
        </Group>
      ))}
      <Group>
        <Button
          variant="subtle"
          size="compact-sm"
          leftSection={<IconPlus size={14} />}
          disabled={rows.length >= (floating ? 3 : 100)}
          onClick={() => form.insertListItem(path, hostRow() as never)}
        >
          Add host
        </Button>
      </Group>
    </Stack>
  );
}

/** A license model, for the dialogs: producer staff read any; customers and partners those of their own line items. */
export function useLicenseModel(id: string | null | undefined) {
  return useQuery({
    queryKey: [...keys.licenseModels, "detail", id],
    queryFn: () => licenseModelsApi.get(id as string),
    enabled: !!id,
    retry: false,
  });
}

export type Attribute = LicenseModel["attributes"][number];
export const fulfillmentAttributes = (m: LicenseModel | undefined): Attribute[] =>
  (m?.attributes ?? []).filter((a) => a.time === "FULFILLMENT");

export type AttributeValues = Record<string, string | boolean>;

/** The form's starting values: what the license had, else the model's default. */
export function attributeValues(attrs: Attribute[], current: Record<string, unknown> = {}): AttributeValues {
  const out: AttributeValues = {};
  for (const a of attrs) {
    const c = current[a.name];
    if (a.valueType === "BOOLEAN") out[a.name] = c === undefined ? a.defaultValue === "true" : c === true || c === "true";
    else out[a.name] = c === undefined || c === null ? (a.defaultValue ?? "") : String(c);
  }
  return out;
}

/** The attributes as the API takes them; empty values are left out. */
export function attributesBody(attrs: Attribute[], v: AttributeValues): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const a of attrs) {
    const x = v[a.name];
    if (typeof x === "boolean") out[a.name] = x;
    else if (x === undefined || x.trim() === "") continue;
    else out[a.name] = a.valueType === "NUMBER" ? Number(x) : x.trim();
  }
  return out;
}

export function attributeProblem(a: Attribute, v: string | boolean | undefined): string | null {
  if (typeof v === "boolean") return null;
  const s = (v ?? "").trim();
  if (s === "") return a.required ? `${a.name} is required` : null;
  if (a.valueType === "NUMBER" && !/^-?\d+(\.\d+)?$/.test(s)) return "Must be a number";
  if (a.valueType === "DATE" && !/^\d{4}-\d{2}-\d{2}$/.test(s)) return "Must be a date";
  if (a.valueType === "ENUM" && !a.allowedValues.includes(s)) return "Must be one of the allowed values";
  return null;
}

/** Form rules checking each attribute under its own input (`attributes.<name>`). */
export const attributeRules = (attrs: Attribute[]) =>
  Object.fromEntries(attrs.map((a) => [a.name, (v: string | boolean) => attributeProblem(a, v)]));

/** Inputs for the fulfillment-time attributes, at `attributes.<name>` of the form. */
export function AttributeInputs<V extends Record<string, any>>({
  form,
  attrs,
}: {
  form: UseFormReturnType<V>;
  attrs: Attribute[];
}) {
  if (attrs.length === 0) return null;
  return (
    <Stack gap="xs">
      <Text size="sm" fw={500}>
        License attributes
      </Text>
      {attrs.map((a) => {
        const p = `attributes.${a.name}`;
        const props = { label: a.name, required: a.required };
        switch (a.valueType) {
          case "BOOLEAN":
            return <Checkbox key={a.name} label={a.name} {...form.getInputProps(p, { type: "checkbox" })} />;
          case "ENUM":
            return <Select key={a.name} {...props} data={a.allowedValues} clearable={!a.required} {...form.getInputProps(p)} />;
          case "DATE":
            return <TextInput key={a.name} {...props} type="date" w={220} {...form.getInputProps(p)} />;
          case "NUMBER":
            return <TextInput key={a.name} {...props} inputMode="decimal" w={220} {...form.getInputProps(p)} />;
          default:
            return <TextInput key={a.name} {...props} {...form.getInputProps(p)} />;
        }
      })}
    </Stack>
  );
}

export interface OverrideValues {
  overridePolicy: boolean;
  reason: string;
}

/** Producer staff only: exceed the policy, with a reason that is audited. */
export function OverrideFields<V extends Record<string, any>>({ form, needed }: { form: UseFormReturnType<V>; needed: boolean }) {
  const on = !!form.values.overridePolicy;
  return (
    <Stack gap={6}>
      <Checkbox
        label="Override policy"
        description={
          needed
            ? "Nothing of this policy is left: override it to go ahead."
            : "Go beyond the license model's policy. The reason is kept in the audit log."
        }
        {...form.getInputProps("overridePolicy", { type: "checkbox" })}
      />
      {on && <Textarea label="Reason" required autosize minRows={2} maxRows={5} {...form.getInputProps("reason")} />}
    </Stack>
  );
}

export const overrideBody = (v: OverrideValues) => (v.overridePolicy ? { overridePolicy: true, reason: v.reason.trim() } : {});

export const reasonProblem = (reason: string, v: OverrideValues) =>
  v.overridePolicy && reason.trim() === "" ? "Say why the policy is overridden" : null;

/** May generate licenses and run support actions for any customer (producer admin, operations, support). */
export function useIsLicenser(): boolean {
  const s = useSession();
  return s.user.memberships.some((m) => LICENSER_ROLES.includes(m.role));
}
