import { Group, NumberInput, Radio, Select } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { unitOptions } from "./model";

/**
 * A choice between ways of giving a value (a term or a date, a product or a part number), as radios
 * in a row, bound to one field of the form. Switching clears the form's errors: they were about the
 * fields of the other way.
 */
export function ModeRadio<V, K extends keyof V & string>({
  form,
  path,
  label,
  options,
}: {
  form: UseFormReturnType<V>;
  path: K;
  label: string;
  options: { value: V[K] & string; label: string }[];
}) {
  return (
    <Radio.Group
      label={label}
      value={form.getValues()[path] as string}
      onChange={(m) => {
        form.setFieldValue(path as never, m as never);
        form.clearErrors();
      }}
    >
      <Group mt={6}>
        {options.map((o) => (
          <Radio key={o.value} value={o.value} label={o.label} />
        ))}
      </Group>
    </Radio.Group>
  );
}

/** A term: its length and unit, bound to the form's `termCount` and `termUnit`. */
export function TermFields<V extends { termCount: number | string; termUnit: string }>({ form }: { form: UseFormReturnType<V> }) {
  const f = form as unknown as UseFormReturnType<{ termCount: number | string; termUnit: string }>;
  return (
    <Group align="flex-start">
      <NumberInput
        label="Term length"
        description="Counted from the start date"
        min={1}
        max={10000}
        allowDecimal={false}
        allowNegative={false}
        required
        w={180}
        {...f.getInputProps("termCount")}
      />
      <Select
        label="Term unit"
        description=" "
        allowDeselect={false}
        data={unitOptions}
        w={160}
        {...f.getInputProps("termUnit")}
      />
    </Group>
  );
}
