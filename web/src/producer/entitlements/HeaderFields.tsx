import {
  ActionIcon,
  Alert,
  Box,
  Button,
  Group,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { IconInfoCircle, IconPlus, IconTrash } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { soldToTiers } from "../../../../common/src/rules/entitlements";
import { ApiError, isApiError } from "../../api/client";
import { keys, partnerTiersApi, usersApi } from "../../api/endpoints";
import { AccountSelect } from "../../components/AccountSelect";
import { applyApiError } from "../../components/FormErrors";
import { Section } from "../../components/Page";
import { LIMITS } from "../../lib/enums";
import { fullName } from "../../lib/format";
import { maxLength, required } from "../../lib/validate";
import {
  attributeKV,
  entitlementIdProblem,
  type HeaderValues,
  type Kind,
  type PartnerRow,
  partnerRow,
  shipToEmailFieldProblem,
} from "./model";

type HeaderForm = UseFormReturnType<HeaderValues>;

/** Validation rules of the header form (client side, worded like the server). */
export const headerValidation = {
  entitlementId: (_v: string, values: HeaderValues) => entitlementIdProblem(values),
  description: maxLength(LIMITS.descriptionMax),
  shipToEmail: (v: string) => shipToEmailFieldProblem(v),
  shipToAddress: maxLength(LIMITS.descriptionMax),
  orderId: maxLength(255),
  orderLineNumber: maxLength(64),
  soldTo: required("Sold to"),
  channelPartners: {
    tier: required("Partner tier"),
    accountId: required("Account"),
  },
  customAttributes: {
    name: (v: string, values: HeaderValues) => {
      if (!v.trim()) return "Attribute name is required";
      if (v.length > 128) return "Must be at most 128 characters";
      return values.customAttributes.filter((a) => a.name.trim() === v.trim()).length > 1 ? "This name is used twice" : null;
    },
    value: maxLength(4000),
  },
};

export function usePartnerTiers() {
  const q = useQuery({ queryKey: keys.partnerTiers, queryFn: partnerTiersApi.list, staleTime: 60_000 });
  const items = [...(q.data?.items ?? [])].sort((a, b) => a.rank - b.rank);
  return { items, byName: new Map(items.map((t) => [t.name, t])), isLoading: q.isLoading };
}

function ContactSelect({
  accountId,
  value,
  onChange,
  error,
}: {
  accountId: string | null;
  value: string | null;
  onChange: (id: string | null) => void;
  error?: React.ReactNode;
}) {
  const { data, isFetching } = useQuery({
    queryKey: [...keys.users, "contacts-of", accountId],
    queryFn: () => usersApi.list({ accountId: accountId ?? undefined, limit: 100 }),
    enabled: !!accountId,
    staleTime: 30_000,
  });
  const options = (data?.items ?? []).map((u) => ({ value: u.id, label: `${fullName(u) || u.email} <${u.email}>` }));
  if (value && !options.some((o) => o.value === value)) options.push({ value, label: value });
  return (
    <Select
      aria-label="Contact"
      placeholder={!accountId ? "Choose an account first" : options.length ? "Optional" : "No users in this account"}
      disabled={!accountId}
      clearable
      searchable
      value={value}
      onChange={onChange}
      error={error}
      data={options}
      nothingFoundMessage={isFetching ? "Loading…" : "No user matches"}
    />
  );
}

/** Channel Partners: one account per tier, with an optional contact, exactly one current owner. */
export function ChannelPartnersEditor({ form, kind }: { form: HeaderForm; kind: Kind }) {
  const tiers = usePartnerTiers();
  const rows = form.values.channelPartners;
  const rootError = form.errors.channelPartners;
  const setOwner = (i: number) =>
    form.setFieldValue(
      "channelPartners",
      form.getValues().channelPartners.map((r, j) => ({ ...r, currentOwner: j === i })),
    );
  return (
    <Stack gap="xs">
      <Alert variant="light" color="blue" icon={<IconInfoCircle size={18} />} p="xs">
        {kind === "BULK"
          ? "Bulk entitlements are typically sold to a distributor: the Sold To account fills the Distributor tier, and End Customer is the same distributor account. Add other tiers here if needed."
          : "The Sold To account is the End Customer and the current owner. Add distributors or resellers in other tiers here."}
      </Alert>
      {rows.length > 0 && (
        <Table
          className="editor-table"
          verticalSpacing={6}
          horizontalSpacing="xs"
          withRowBorders={false}
          data-testid="partners-editor"
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={200}>Partner tier</Table.Th>
              <Table.Th>Account</Table.Th>
              <Table.Th>Contact</Table.Th>
              <Table.Th w={110}>Current owner</Table.Th>
              <Table.Th w={40} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, i) => (
              <Table.Tr key={row.key}>
                <Table.Td>
                  <Select
                    aria-label="Partner tier"
                    placeholder="Choose a tier"
                    allowDeselect={false}
                    data={tiers.items.map((t) => ({
                      value: t.name,
                      label: t.displayName,
                      disabled: rows.some((r, j) => j !== i && r.tier === t.name),
                    }))}
                    {...form.getInputProps(`channelPartners.${i}.tier`)}
                  />
                </Table.Td>
                <Table.Td>
                  <AccountSelect
                    label={null}
                    ariaLabel="Account"
                    value={row.accountId}
                    known={row.accountId ? [{ id: row.accountId, name: row.accountName, type: "CHANNEL_PARTNER" }] : []}
                    error={form.errors[`channelPartners.${i}.accountId`]}
                    onChange={(a) => {
                      form.setFieldValue(`channelPartners.${i}.accountId`, a?.id ?? null);
                      form.setFieldValue(`channelPartners.${i}.accountName`, a?.name ?? "");
                      form.setFieldValue(`channelPartners.${i}.contactUserId`, null);
                      form.clearFieldError(`channelPartners.${i}.accountId`);
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  <ContactSelect
                    accountId={row.accountId}
                    value={row.contactUserId}
                    error={form.errors[`channelPartners.${i}.contactUserId`]}
                    onChange={(id) => form.setFieldValue(`channelPartners.${i}.contactUserId`, id)}
                  />
                </Table.Td>
                <Table.Td>
                  <Radio
                    mt={8}
                    aria-label="Current owner"
                    name="current-owner"
                    checked={row.currentOwner}
                    onChange={() => setOwner(i)}
                  />
                </Table.Td>
                <Table.Td>
                  <Tooltip label="Remove channel partner">
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      mt={4}
                      aria-label="Remove channel partner"
                      onClick={() => form.removeListItem("channelPartners", i)}
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
          onClick={() => form.insertListItem("channelPartners", partnerRow({ currentOwner: false }))}
        >
          Add channel partner
        </Button>
      </Group>
    </Stack>
  );
}

function CustomAttributesEditor({ form }: { form: HeaderForm }) {
  const rows = form.values.customAttributes;
  return (
    <Stack gap="xs">
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          No custom attributes. Add name/value pairs your integrations need (for example a CRM reference).
        </Text>
      ) : (
        <Table className="editor-table" verticalSpacing={6} horizontalSpacing="xs" withRowBorders={false}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={260}>Attribute name</Table.Th>
              <Table.Th>Attribute value</Table.Th>
              <Table.Th w={40} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, i) => (
              <Table.Tr key={row.key}>
                <Table.Td>
                  <TextInput aria-label="Attribute name" {...form.getInputProps(`customAttributes.${i}.name`)} />
                </Table.Td>
                <Table.Td>
                  <TextInput aria-label="Attribute value" {...form.getInputProps(`customAttributes.${i}.value`)} />
                </Table.Td>
                <Table.Td>
                  <Tooltip label="Remove attribute">
                    <ActionIcon
                      variant="subtle"
                      color="red"
                      mt={4}
                      aria-label="Remove attribute"
                      onClick={() => form.removeListItem("customAttributes", i)}
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
      <Group>
        <Button
          variant="light"
          size="xs"
          leftSection={<IconPlus size={14} />}
          onClick={() => form.insertListItem("customAttributes", attributeKV())}
        >
          Add attribute
        </Button>
      </Group>
    </Stack>
  );
}

/**
 * The header of Create Simple / Create Bulk and of the entitlement page's edit form: entitlement
 * ID, description, ship-to, order, Sold To, channel partners, portal login, custom attributes.
 */
export function HeaderFields({ form, kind, mode }: { form: HeaderForm; kind: Kind; mode: "create" | "edit" }) {
  const v = form.values;
  const changeSoldTo = (a: { id: string; name: string } | null) => {
    const prev = form.getValues().soldTo;
    form.setFieldValue("soldTo", a?.id ?? null);
    form.setFieldValue("soldToName", a?.name ?? "");
    // On the entitlement page the partner rows include Sold To's tiers: move them along.
    const tiers = soldToTiers(kind);
    form.setFieldValue(
      "channelPartners",
      form
        .getValues()
        .channelPartners.map((r) =>
          r.tier && tiers.includes(r.tier) && r.accountId === prev && a
            ? { ...r, accountId: a.id, accountName: a.name, contactUserId: null }
            : r,
        ),
    );
    form.clearFieldError("soldTo");
  };
  return (
    <Stack>
      <Section title="Entitlement">
        <Stack>
          {mode === "create" ? (
            <Group align="flex-end" wrap="wrap">
              <Radio.Group
                label="Entitlement ID"
                value={v.idMode}
                error={form.errors.idMode}
                onChange={(m) => {
                  form.setFieldValue("idMode", m as HeaderValues["idMode"]);
                  form.clearFieldError("entitlementId");
                }}
              >
                <Group mt={6}>
                  <Radio value="AUTO" label="Auto Generate" />
                  <Radio value="SPECIFY" label="Specify" />
                </Group>
              </Radio.Group>
              {v.idMode === "SPECIFY" && (
                <TextInput
                  aria-label="Specified entitlement ID"
                  placeholder="Entitlement ID"
                  required
                  w={320}
                  {...form.getInputProps("entitlementId")}
                />
              )}
            </Group>
          ) : (
            <TextInput
              label="Entitlement ID"
              description="Specify a new ID, or use Regenerate IDs for a generated one."
              required
              maw={420}
              {...form.getInputProps("entitlementId")}
            />
          )}
          <Textarea label="Description" autosize minRows={2} maxRows={6} {...form.getInputProps("description")} />
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Ship to email"
              description="Where licenses are sent; separate several addresses with commas."
              placeholder="licensing@customer.com, it@customer.com"
              {...form.getInputProps("shipToEmail")}
            />
            <Textarea
              label="Ship to address"
              description="Postal address."
              autosize
              minRows={2}
              maxRows={5}
              {...form.getInputProps("shipToAddress")}
            />
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Order ID" {...form.getInputProps("orderId")} />
            <TextInput label="Order line number" {...form.getInputProps("orderLineNumber")} />
          </SimpleGrid>
          <Switch
            label="Allow portal login"
            description="Lets the customer log in to the end-user portal with this entitlement's ID."
            {...form.getInputProps("allowPortalLogin", { type: "checkbox" })}
          />
        </Stack>
      </Section>
      <Section title="Sold to and channel partners">
        <Stack>
          <Box maw={480}>
            <AccountSelect
              label="Sold to"
              required
              value={v.soldTo}
              known={
                v.soldTo ? [{ id: v.soldTo, name: v.soldToName, type: kind === "BULK" ? "CHANNEL_PARTNER" : "CUSTOMER" }] : []
              }
              error={form.errors.soldTo}
              onChange={changeSoldTo}
            />
          </Box>
          <Text size="xs" c="dimmed" mt={-8}>
            {kind === "BULK"
              ? "The distributor or retailer buying the keys: Distributor tier, End Customer tier and current owner."
              : "The customer: End Customer tier and current owner."}
          </Text>
          <Text fw={600} size="sm">
            Channel Partners
          </Text>
          <ChannelPartnersEditor form={form} kind={kind} />
        </Stack>
      </Section>
      <Section title="Custom attributes">
        <CustomAttributesEditor form={form} />
      </Section>
    </Stack>
  );
}

/**
 * Puts a failed save's field problems under the header inputs. Problems about the product
 * configuration (`product.…`) or line items (`lineItems[i].…`) are returned for the caller to
 * show in the product card or the line items table. Returns the words for the general alert.
 */
export function applyHeaderErrors(
  form: HeaderForm,
  err: unknown,
): { general: string | null; config: { field: string; message: string; index: number | null }[] } {
  if (!isApiError(err)) return { general: applyApiError(form, err), config: [] };
  const config: { field: string; message: string; index: number | null }[] = [];
  const rest: { field: string; message: string }[] = [];
  for (const fe of err.fieldErrors) {
    const f = fe.field.replace(/^body\./, "");
    const p = /^product\.(.+)$/.exec(f);
    const l = /^lineItems\[(\d+)\]\.(.+)$/.exec(f);
    if (p) config.push({ field: p[1] as string, message: fe.message, index: null });
    else if (l) config.push({ field: l[2] as string, message: fe.message, index: Number(l[1]) });
    else if (f === "product" || f === "lineItems") config.push({ field: "products", message: fe.message, index: null });
    else rest.push({ field: f, message: fe.message });
  }
  if (err.fieldErrors.length === 0) return { general: err.message, config };
  const fieldMap: Record<string, string> = {};
  form.getValues().customAttributes.forEach((a, i) => {
    fieldMap[`customAttributes.${a.name.trim()}`] = `customAttributes.${i}.name`;
  });
  if (form.getValues().idMode === "AUTO") fieldMap.entitlementId = "idMode";
  let general: string | null = null;
  if (rest.length) {
    general = applyApiError(
      form,
      new ApiError({ status: err.status, code: err.code as never, title: err.title, detail: err.message, errors: rest }),
      fieldMap,
    );
  }
  if (config.length && !general) general = "Some of the product configuration needs fixing: see the problems shown with it.";
  return { general, config };
}

export type { PartnerRow };
