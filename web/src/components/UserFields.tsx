import { ActionIcon, Autocomplete, Button, Group, Select, Stack, Table, Text, Tooltip } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { newRowKey } from "../lib/diff";
import type { AccountType, Role } from "../lib/enums";
import { roleOptionsFor } from "../lib/labels";
import { AccountSelect } from "./AccountSelect";

export interface MembershipRow {
  key: string;
  accountId: string | null;
  accountName: string;
  accountType: AccountType | null;
  role: string | null;
}

export const membershipRow = (m?: Partial<MembershipRow>): MembershipRow => ({
  key: newRowKey(),
  accountId: m?.accountId ?? null,
  accountName: m?.accountName ?? "",
  accountType: m?.accountType ?? null,
  role: m?.role ?? null,
});

/** Rows of account + role; the role picker only offers roles that fit the chosen account's type. */
export function MembershipsEditor<V extends { memberships: MembershipRow[] }>({
  form,
  onlyRoles,
}: {
  form: UseFormReturnType<V, any>;
  onlyRoles?: readonly Role[];
}) {
  const f = form as unknown as UseFormReturnType<{ memberships: MembershipRow[] }>;
  const rows = f.values.memberships;
  const rootError = f.errors.memberships;
  return (
    <Stack gap="xs">
      {rows.length > 0 && (
        <Table className="editor-table" verticalSpacing={6} horizontalSpacing="xs" withRowBorders={false}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Account</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th w={40} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, i) => (
              <Table.Tr key={row.key}>
                <Table.Td>
                  <AccountSelect
                    label={null}
                    ariaLabel="Account"
                    value={row.accountId}
                    known={
                      row.accountId ? [{ id: row.accountId, name: row.accountName, type: row.accountType ?? "CUSTOMER" }] : []
                    }
                    error={f.errors[`memberships.${i}.accountId`]}
                    onChange={(a) => {
                      f.setFieldValue(`memberships.${i}.accountId`, a?.id ?? null);
                      f.setFieldValue(`memberships.${i}.accountName`, a?.name ?? "");
                      f.setFieldValue(`memberships.${i}.accountType`, a?.type ?? null);
                      const fits = a && roleOptionsFor(a.type, onlyRoles).some((o) => o.value === row.role);
                      if (!fits) {
                        const opts = a ? roleOptionsFor(a.type, onlyRoles) : [];
                        f.setFieldValue(`memberships.${i}.role`, opts.length === 1 ? (opts[0]?.value ?? null) : null);
                      }
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  <Select
                    aria-label="Role"
                    placeholder={row.accountType ? "Choose a role" : "Choose an account first"}
                    data={roleOptionsFor(row.accountType, onlyRoles)}
                    disabled={!row.accountType}
                    allowDeselect={false}
                    {...f.getInputProps(`memberships.${i}.role`)}
                  />
                </Table.Td>
                <Table.Td>
                  <Tooltip label="Remove">
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      aria-label="Remove membership"
                      onClick={() => f.removeListItem("memberships", i)}
                      mt={4}
                    >
                      <IconTrash size={16} />
                    </ActionIcon>
                  </Tooltip>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {rootError && (
        <Text c="red" size="sm">
          {rootError}
        </Text>
      )}
      <Group>
        <Button
          variant="light"
          size="xs"
          leftSection={<IconPlus size={14} />}
          onClick={() => f.insertListItem("memberships", membershipRow())}
        >
          Add account
        </Button>
      </Group>
    </Stack>
  );
}

const LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR", "sv_SE", "ja_JP", "ko_KR", "zh_CN"];
const TIME_ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo"];
  }
})();

export function LocaleInput(props: React.ComponentProps<typeof Autocomplete>) {
  return <Autocomplete label="Locale" placeholder="e.g. en_US" data={LOCALES} {...props} />;
}

export function TimeZoneInput(props: React.ComponentProps<typeof Autocomplete>) {
  return <Autocomplete label="Time zone" placeholder="e.g. Europe/Berlin" data={TIME_ZONES} limit={30} {...props} />;
}
