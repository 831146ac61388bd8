import { Group, Select, Text } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { accountsApi, keys } from "../api/endpoints";
import type { AccountType } from "../lib/enums";
import { ACCOUNT_TYPE_LABELS } from "../lib/labels";

export interface AccountLite {
  id: string;
  name: string;
  type: AccountType;
}

const labelOf = (a: AccountLite) => `${a.name} (${a.id})`;

/** Picks an account by searching the server (ID or name), so it works with any number of accounts. */
export function AccountSelect({
  value,
  onChange,
  known,
  label = "Account",
  ariaLabel,
  error,
  required,
  placeholder = "Search accounts",
  exclude = [],
  disabled,
  onBlur,
  onFocus,
  w,
}: {
  value: string | null;
  onChange: (account: AccountLite | null) => void;
  /** Accounts already known (e.g. the current value), so their names show before any search. */
  known?: AccountLite[];
  label?: string | null;
  ariaLabel?: string;
  error?: React.ReactNode;
  required?: boolean;
  placeholder?: string;
  exclude?: string[];
  disabled?: boolean;
  onBlur?: () => void;
  onFocus?: () => void;
  w?: number | string;
}) {
  const [search, setSearch] = useState("");
  const [picked, setPicked] = useState<AccountLite[]>([]);
  const pool = [...(known ?? []), ...picked];
  const selected = pool.find((a) => a.id === value) ?? null;
  const typed = selected && search === labelOf(selected) ? "" : search;
  const [q] = useDebouncedValue(typed, 250);
  const { data, isFetching } = useQuery({
    queryKey: [...keys.accounts, "pick", q],
    queryFn: () => accountsApi.list({ q: q || undefined, limit: 20 }),
    staleTime: 30_000,
  });
  const found: AccountLite[] = (data?.items ?? []).map((a) => ({ id: a.id, name: a.name, type: a.type }));
  const byId = new Map<string, AccountLite>();
  for (const a of [...(selected ? [selected] : []), ...found]) if (!exclude.includes(a.id) || a.id === value) byId.set(a.id, a);
  const options = [...byId.values()];
  return (
    <Select
      label={label ?? undefined}
      aria-label={ariaLabel}
      placeholder={placeholder}
      w={w}
      searchable
      clearable
      disabled={disabled}
      required={required}
      error={error}
      value={value}
      searchValue={search}
      onSearchChange={setSearch}
      onBlur={onBlur}
      onFocus={onFocus}
      nothingFoundMessage={isFetching ? "Searching…" : "No account matches"}
      filter={({ options: opts }) => opts}
      data={options.map((a) => ({ value: a.id, label: labelOf(a) }))}
      renderOption={({ option }) => {
        const a = byId.get(option.value);
        return (
          <Group justify="space-between" wrap="nowrap" w="100%">
            <Text size="sm">{option.label}</Text>
            {a && (
              <Text size="xs" c="dimmed">
                {ACCOUNT_TYPE_LABELS[a.type]}
              </Text>
            )}
          </Group>
        );
      }}
      onChange={(id) => {
        const a = id ? (byId.get(id) ?? null) : null;
        if (a) setPicked((p) => [...p.filter((x) => x.id !== a.id), a]);
        onChange(a);
      }}
    />
  );
}
