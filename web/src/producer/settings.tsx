import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import {
  IconBuildingStore,
  IconChecklist,
  IconEdit,
  IconId,
  IconKey,
  IconLock,
  IconMail,
  IconPlus,
  IconUsersGroup,
  IconWebhook,
} from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Navigate, useNavigate, useParams } from "react-router-dom";
import type { PartnerTier } from "../../../common/src/api/partnerTiers";
import type { IdTemplateOut, Settings as InstanceSettings } from "../../../common/src/api/settings";
import type { ApiToken } from "../../../common/src/api/tokens";
import { errorMessage } from "../api/client";
import { keys, type PartnerTierInput, partnerTiersApi, type SettingsInput, settingsApi, tokensApi } from "../api/endpoints";
import { usePermissions, useSession } from "../auth/session";
import { ChangePasswordForm } from "../components/ChangePasswordForm";
import { DataTable, usePagedList } from "../components/DataTable";
import { ConfirmButton, SecretModal } from "../components/Dialogs";
import { FormAlert, LoadError, useApiForm } from "../components/FormErrors";
import { PageHeader, Section, StateBadge } from "../components/Page";
import { type Role, rolesAtOrBelow } from "../lib/enums";
import { formatDate, formatDateTime, orNull } from "../lib/format";
import { roleLabel } from "../lib/labels";
import { all, maxLength, required, wholeNumber } from "../lib/validate";
import { EmailSettingsTab } from "./emailSettings";
import { WebhooksTab } from "./webhooks";

const TABS = [
  "general",
  "id-generators",
  "entitlement-rules",
  "partner-tiers",
  "email",
  "api-tokens",
  "password",
  "webhooks",
] as const;

export function SettingsPage() {
  const { tab = "partner-tiers" } = useParams();
  const navigate = useNavigate();
  if (!(TABS as readonly string[]).includes(tab)) return <Navigate to="/settings/partner-tiers" replace />;
  return (
    <>
      <PageHeader title="Settings" />
      <Tabs value={tab} onChange={(t) => t && navigate(`/settings/${t}`)} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="general" leftSection={<IconBuildingStore size={16} />}>
            General
          </Tabs.Tab>
          <Tabs.Tab value="id-generators" leftSection={<IconId size={16} />}>
            ID generators
          </Tabs.Tab>
          <Tabs.Tab value="entitlement-rules" leftSection={<IconChecklist size={16} />}>
            Entitlement rules
          </Tabs.Tab>
          <Tabs.Tab value="partner-tiers" leftSection={<IconUsersGroup size={16} />}>
            Partner tiers
          </Tabs.Tab>
          <Tabs.Tab value="email" leftSection={<IconMail size={16} />}>
            Email
          </Tabs.Tab>
          <Tabs.Tab value="api-tokens" leftSection={<IconKey size={16} />}>
            API tokens
          </Tabs.Tab>
          <Tabs.Tab value="webhooks" leftSection={<IconWebhook size={16} />}>
            Webhooks
          </Tabs.Tab>
          <Tabs.Tab value="password" leftSection={<IconLock size={16} />}>
            Password
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="general">
          <GeneralTab />
        </Tabs.Panel>
        <Tabs.Panel value="id-generators">
          <IdGeneratorsTab />
        </Tabs.Panel>
        <Tabs.Panel value="entitlement-rules">
          <EntitlementRulesTab />
        </Tabs.Panel>
        <Tabs.Panel value="partner-tiers">
          <PartnerTiersTab />
        </Tabs.Panel>
        <Tabs.Panel value="email">
          <EmailSettingsTab />
        </Tabs.Panel>
        <Tabs.Panel value="api-tokens">
          <ApiTokensTab />
        </Tabs.Panel>
        <Tabs.Panel value="webhooks">
          <WebhooksTab />
        </Tabs.Panel>
        <Tabs.Panel value="password">
          <Paper withBorder radius="md" p="lg">
            <ChangePasswordForm />
          </Paper>
        </Tabs.Panel>
      </Tabs>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Instance settings: ID generators and entitlement rules

function useInstanceSettings() {
  return useQuery({ queryKey: keys.settings, queryFn: settingsApi.get });
}

function ReadOnlyNote() {
  return (
    <Alert color="gray" variant="light">
      Only producer administrators can change these settings.
    </Alert>
  );
}

type TemplateKind = "entitlement" | "activation";
const TEMPLATE_FIELDS = ["prefix", "groups", "groupLength", "separator", "alphabet"] as const;

function templateValues(t: IdTemplateOut) {
  return {
    prefix: t.prefix,
    groups: t.groups as number | string,
    groupLength: t.groupLength as number | string,
    separator: t.separator,
    alphabet: t.alphabet,
  };
}

function IdTemplateCard({
  kind,
  title,
  description,
  template,
  canEdit,
}: {
  kind: TemplateKind;
  title: string;
  description: string;
  template: IdTemplateOut;
  canEdit: boolean;
}) {
  const qc = useQueryClient();
  const form = useForm({
    initialValues: templateValues(template),
    validate: {
      prefix: maxLength(64),
      groups: all(required("Groups"), wholeNumber(1)),
      groupLength: all(required("Group length"), wholeNumber(1)),
      separator: maxLength(3),
      alphabet: all(required("Alphabet"), maxLength(64)),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const fieldMap = Object.fromEntries(TEMPLATE_FIELDS.map((f) => [`idTemplates.${kind}.${f}`, f]));
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) =>
      settingsApi.update({
        idTemplates: {
          [kind]: {
            prefix: v.prefix,
            groups: Number(v.groups),
            groupLength: Number(v.groupLength),
            separator: v.separator,
            alphabet: v.alphabet,
          },
        },
      }),
    {
      fieldMap,
      onSuccess: (s) => {
        qc.setQueryData(keys.settings, s);
        form.setInitialValues(templateValues(s.idTemplates[kind]));
        form.resetDirty(templateValues(s.idTemplates[kind]));
        notifications.show({
          color: "green",
          message: `${kind === "entitlement" ? "Entitlement" : "Activation"} ID generator saved.`,
        });
      },
    },
  );
  return (
    <Section title={title}>
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            {description}
          </Text>
          <TextInput
            label="Prefix"
            description="Text put before the random groups. May use the tokens {kind} (S or B), {orderId} and {year}."
            disabled={!canEdit}
            {...form.getInputProps("prefix")}
          />
          <Group grow align="flex-start">
            <NumberInput
              label="Groups"
              required
              min={1}
              max={16}
              allowDecimal={false}
              disabled={!canEdit}
              {...form.getInputProps("groups")}
            />
            <NumberInput
              label="Group length"
              required
              min={1}
              max={16}
              allowDecimal={false}
              disabled={!canEdit}
              {...form.getInputProps("groupLength")}
            />
            <TextInput label="Separator" disabled={!canEdit} {...form.getInputProps("separator")} />
          </Group>
          <TextInput
            label="Alphabet"
            description="The characters the random groups are drawn from, each once."
            required
            disabled={!canEdit}
            styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
            {...form.getInputProps("alphabet")}
          />
          <Paper withBorder radius="sm" p="sm" bg="var(--mantine-color-gray-0)">
            <Group justify="space-between" wrap="nowrap" gap="xs">
              <div>
                <Text size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.3}>
                  Example
                </Text>
                <Code fz="sm" style={{ wordBreak: "break-all" }}>
                  {template.example}
                </Code>
              </div>
              <Badge variant="light" color={template.randomBits >= 64 ? "green" : "yellow"} radius="sm" style={{ flexShrink: 0 }}>
                {template.randomBits} random bits
              </Badge>
            </Group>
            {form.isDirty() && (
              <Text size="xs" c="dimmed" mt={6}>
                The example is of the saved generator; save to see your changes.
              </Text>
            )}
          </Paper>
          <FormAlert error={error} onClose={() => setError(null)} />
          {canEdit && (
            <Group justify="flex-end">
              <Button variant="default" disabled={!form.isDirty()} onClick={() => form.reset()}>
                Reset
              </Button>
              <Button type="submit" loading={pending}>
                Save
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Section>
  );
}

type KeyFormatValues = { groups: number | string; groupLength: number | string; separator: string };
const keyFormatValues = (s: InstanceSettings): KeyFormatValues => ({
  groups: s.keyFormat.groups,
  groupLength: s.keyFormat.groupLength,
  separator: s.keyFormat.separator,
});
const SEPARATORS = [
  { value: "-", label: "Dash (7KTTG-4H535-…)" },
  { value: " ", label: "Space (7KTTG 4H535 …)" },
  { value: "", label: "None (7KTTG4H535…)" },
];

/** The shape of generated web register keys (PRODUCT.md §3): at least 100 random bits, a check symbol last. */
function KeyFormatCard({ settings, canEdit }: { settings: InstanceSettings; canEdit: boolean }) {
  const qc = useQueryClient();
  const form = useForm<KeyFormatValues>({
    initialValues: keyFormatValues(settings),
    validate: {
      groups: all(required("Groups"), wholeNumber(1)),
      groupLength: all(required("Group length"), wholeNumber(2)),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) =>
      settingsApi.update({
        keyFormat: { groups: Number(v.groups), groupLength: Number(v.groupLength), separator: v.separator },
      }),
    {
      fieldMap: { "keyFormat.groups": "groups", "keyFormat.groupLength": "groupLength", "keyFormat.separator": "separator" },
      onSuccess: (s) => {
        qc.setQueryData(keys.settings, s);
        form.setInitialValues(keyFormatValues(s));
        form.resetDirty(keyFormatValues(s));
        notifications.show({ color: "green", message: "Key format saved." });
      },
    },
  );
  const symbols = Number(form.values.groups) * Number(form.values.groupLength);
  const bits = Number.isFinite(symbols) && symbols > 1 ? (symbols - 1) * 5 : 0;
  return (
    <Section title="Web register keys">
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            Generated keys: groups of Crockford base32 symbols (no I, L, O or U), the last one a check symbol so a typo is caught
            at once. Keys already loaded do not change; imported legacy keys of another shape still load as they are.
          </Text>
          <Group grow align="flex-start">
            <NumberInput
              label="Groups"
              required
              min={1}
              max={12}
              allowDecimal={false}
              disabled={!canEdit}
              {...form.getInputProps("groups")}
            />
            <NumberInput
              label="Group length"
              required
              min={2}
              max={12}
              allowDecimal={false}
              disabled={!canEdit}
              {...form.getInputProps("groupLength")}
            />
            <Select
              label="Separator"
              allowDeselect={false}
              data={SEPARATORS}
              disabled={!canEdit}
              {...form.getInputProps("separator")}
            />
          </Group>
          <Paper withBorder radius="sm" p="sm" bg="var(--mantine-color-gray-0)">
            <Group justify="space-between" wrap="nowrap" gap="xs">
              <div>
                <Text size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.3}>
                  Example
                </Text>
                <Code fz="sm" style={{ wordBreak: "break-all" }} data-testid="key-format-example">
                  {settings.keyFormat.example}
                </Code>
              </div>
              <Badge variant="light" color={bits >= 100 ? "green" : "red"} radius="sm" style={{ flexShrink: 0 }}>
                {bits} random bits{bits < 100 ? " (100 needed)" : ""}
              </Badge>
            </Group>
            {form.isDirty() && (
              <Text size="xs" c="dimmed" mt={6}>
                The example is of the saved format; save to see your changes.
              </Text>
            )}
          </Paper>
          <FormAlert error={error} onClose={() => setError(null)} />
          {canEdit && (
            <Group justify="flex-end">
              <Button variant="default" disabled={!form.isDirty()} onClick={() => form.reset()}>
                Reset
              </Button>
              <Button type="submit" loading={pending}>
                Save
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Section>
  );
}

/** The ID of the entitlement a redeemed key becomes (FNO: configurable, default {key}ENT). */
function RedeemedIdCard({ settings, canEdit }: { settings: InstanceSettings; canEdit: boolean }) {
  const qc = useQueryClient();
  const form = useForm({
    initialValues: { template: settings.redeemedEntitlementIdTemplate },
    validate: {
      template: all(required("Template"), maxLength(69), (v: string) =>
        v.includes("{key}") ? null : "Must contain {key}, so every redeemed entitlement gets its own ID",
      ),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => settingsApi.update({ redeemedEntitlementIdTemplate: v.template }),
    {
      fieldMap: { redeemedEntitlementIdTemplate: "template" },
      onSuccess: (s) => {
        qc.setQueryData(keys.settings, s);
        form.setInitialValues({ template: s.redeemedEntitlementIdTemplate });
        form.resetDirty({ template: s.redeemedEntitlementIdTemplate });
        notifications.show({ color: "green", message: "Redeemed entitlement ID saved." });
      },
    },
  );
  const example = form.values.template.replaceAll("{key}", settings.keyFormat.example);
  return (
    <Section title="Redeemed entitlement IDs">
      <form onSubmit={onSubmit} noValidate>
        <Stack gap="sm">
          <Text size="sm" c="dimmed">
            Redeeming a web register key creates a simple entitlement whose ID is made from this template; {"{key}"} is the key.
            If the ID is already taken, a generated entitlement ID is used.
          </Text>
          <TextInput
            label="Template"
            description="Text around the token {key}, e.g. {key}ENT (the default)."
            required
            disabled={!canEdit}
            styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
            {...form.getInputProps("template")}
          />
          <Paper withBorder radius="sm" p="sm" bg="var(--mantine-color-gray-0)">
            <Text size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.3}>
              Example
            </Text>
            <Code fz="sm" style={{ wordBreak: "break-all" }} data-testid="redeemed-id-example">
              {example}
            </Code>
          </Paper>
          <FormAlert error={error} onClose={() => setError(null)} />
          {canEdit && (
            <Group justify="flex-end">
              <Button variant="default" disabled={!form.isDirty()} onClick={() => form.reset()}>
                Reset
              </Button>
              <Button type="submit" loading={pending}>
                Save
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Section>
  );
}

function IdGeneratorsTab() {
  const perms = usePermissions();
  const { data, error, isLoading } = useInstanceSettings();
  if (error) return <LoadError error={error} what="settings" />;
  if (isLoading || !data)
    return (
      <Text c="dimmed" size="sm">
        Loading…
      </Text>
    );
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        How new entitlement and activation IDs are made when none is given (a prefix, then groups of random characters), the shape
        of generated web register keys and the ID of the entitlement a redeemed key becomes. Existing IDs and keys do not change.
      </Text>
      {!perms.isProducerAdmin && <ReadOnlyNote />}
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
        <IdTemplateCard
          kind="entitlement"
          title="Entitlement IDs"
          description="Given to new entitlements."
          template={data.idTemplates.entitlement}
          canEdit={perms.isProducerAdmin}
        />
        <IdTemplateCard
          kind="activation"
          title="Activation IDs"
          description="Given to new line items, which customers use to activate."
          template={data.idTemplates.activation}
          canEdit={perms.isProducerAdmin}
        />
        <KeyFormatCard settings={data} canEdit={perms.isProducerAdmin} />
        <RedeemedIdCard settings={data} canEdit={perms.isProducerAdmin} />
      </SimpleGrid>
    </Stack>
  );
}

type RuleKey = "allowEditDeployed" | "allowUsedItemsInactiveObsolete";
const RULES: { key: RuleKey; label: string; description: string }[] = [
  {
    key: "allowEditDeployed",
    label: "Allow editing of deployed entities",
    description: "Producers may change dates and descriptions of DEPLOYED entitlements and line items.",
  },
  {
    key: "allowUsedItemsInactiveObsolete",
    label: "Allow used items to go INACTIVE or OBSOLETE",
    description: "Entitlements and line items with fulfillments may be deactivated or obsoleted.",
  },
];

function EntitlementRulesTab() {
  const perms = usePermissions();
  const qc = useQueryClient();
  const { data, error, isLoading } = useInstanceSettings();
  const save = useMutation({
    mutationFn: (body: SettingsInput) => settingsApi.update(body),
    onSuccess: (s: InstanceSettings) => {
      qc.setQueryData(keys.settings, s);
      notifications.show({ color: "green", message: "Entitlement rules saved." });
    },
    onError: (e) => notifications.show({ color: "red", title: "Could not save", message: errorMessage(e) }),
  });
  if (error) return <LoadError error={error} what="settings" />;
  if (isLoading || !data)
    return (
      <Text c="dimmed" size="sm">
        Loading…
      </Text>
    );
  return (
    <Stack>
      <Text size="sm" c="dimmed">
        Rules for changing entitlements and line items once they are deployed or used.
      </Text>
      {!perms.isProducerAdmin && <ReadOnlyNote />}
      <Paper withBorder radius="md" p="lg">
        <Stack gap="lg">
          {RULES.map((r) => (
            <Switch
              key={r.key}
              label={r.label}
              description={r.description}
              checked={data[r.key]}
              disabled={!perms.isProducerAdmin}
              onChange={(e) => save.mutate({ [r.key]: e.currentTarget.checked })}
            />
          ))}
        </Stack>
      </Paper>
    </Stack>
  );
}

// ---------------------------------------------------------------------------------------------
// General: the producer's name, which the partner and customer portals show in their header.

function GeneralTab() {
  const perms = usePermissions();
  const qc = useQueryClient();
  const { data, error, isLoading } = useInstanceSettings();
  const form = useForm({
    initialValues: { producerName: "" },
    validate: { producerName: all(required("Producer name"), maxLength(255)) },
    validateInputOnBlur: true,
  });
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  if (data && loadedFor !== data.producerName) {
    setLoadedFor(data.producerName);
    form.setValues({ producerName: data.producerName });
  }
  const {
    onSubmit,
    error: saveError,
    setError,
    pending,
  } = useApiForm(form, (v) => settingsApi.update({ producerName: v.producerName.trim() }), {
    onSuccess: (s: InstanceSettings) => {
      qc.setQueryData(keys.settings, s);
      qc.invalidateQueries({ queryKey: keys.session });
      notifications.show({ color: "green", message: "Producer name saved." });
    },
  });
  if (error) return <LoadError error={error} what="settings" />;
  if (isLoading || !data)
    return (
      <Text c="dimmed" size="sm">
        Loading…
      </Text>
    );
  return (
    <Stack>
      {!perms.isProducerAdmin && <ReadOnlyNote />}
      <Paper withBorder radius="md" p="lg">
        <form onSubmit={onSubmit} noValidate>
          <Stack maw={480}>
            <TextInput
              label="Producer name"
              description="Shown to partners and customers in their portal's header, e.g. “Acme partner portal”."
              required
              disabled={!perms.isProducerAdmin}
              {...form.getInputProps("producerName")}
            />
            <FormAlert error={saveError} onClose={() => setError(null)} />
            {perms.isProducerAdmin && (
              <Group>
                <Button type="submit" loading={pending}>
                  Save
                </Button>
              </Group>
            )}
          </Stack>
        </form>
      </Paper>
    </Stack>
  );
}

// ---------------------------------------------------------------------------------------------
// Partner tiers

function TierForm({ tier, onDone }: { tier: PartnerTier | null; onDone: () => void }) {
  const creating = !tier;
  const qc = useQueryClient();
  const form = useForm({
    initialValues: {
      name: tier?.name ?? "",
      displayName: tier?.displayName ?? "",
      description: tier?.description ?? "",
      rank: tier?.rank ?? ("" as number | string),
    },
    validate: {
      name: creating
        ? all(required("Name"), (v: string) =>
            /^[A-Za-z0-9._-]{1,128}$/.test(v) ? null : "Use 1 to 128 letters, digits, '.', '_' or '-'",
          )
        : undefined,
      displayName: all(required("Display name"), maxLength(255)),
      rank: all(required("Rank"), wholeNumber(1)),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => {
      const body: PartnerTierInput = {
        displayName: v.displayName.trim(),
        description: orNull(v.description),
        rank: Number(v.rank),
      };
      return creating ? partnerTiersApi.create({ ...body, name: v.name.trim() }) : partnerTiersApi.update(tier.name, body);
    },
    {
      onSuccess: (t) => {
        qc.invalidateQueries({ queryKey: keys.partnerTiers });
        notifications.show({ color: "green", message: creating ? `Tier ${t.displayName} created.` : "Tier saved." });
        onDone();
      },
    },
  );
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <TextInput
          label="Name"
          description="Stable key used in the API, e.g. reseller."
          required={creating}
          disabled={!creating}
          {...form.getInputProps("name")}
        />
        <TextInput label="Display name" required {...form.getInputProps("displayName")} />
        <NumberInput
          label="Rank"
          description="Position in the channel, 1 being closest to the producer."
          required
          min={1}
          allowDecimal={false}
          {...form.getInputProps("rank")}
        />
        <Textarea label="Description" autosize minRows={2} {...form.getInputProps("description")} />
        <FormAlert error={error} onClose={() => setError(null)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function PartnerTiersTab() {
  const perms = usePermissions();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<PartnerTier | "new" | null>(null);
  const { data, error, isLoading } = useQuery({ queryKey: keys.partnerTiers, queryFn: partnerTiersApi.list });
  const tiers = [...(data?.items ?? [])].sort((a, b) => a.rank - b.rank);
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Tiers of the channel that hold entitlements: Distributor and End Customer are built in; add your own.
        </Text>
        {perms.isProducerAdmin && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing("new")}>
            Create tier
          </Button>
        )}
      </Group>
      {error ? (
        <LoadError error={error} what="partner tiers" />
      ) : (
        <Paper withBorder radius="md">
          <Table verticalSpacing="xs" fz="sm" highlightOnHover>
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={70}>Rank</Table.Th>
                <Table.Th>Display name</Table.Th>
                <Table.Th>Name</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th w={110} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {isLoading && (
                <Table.Tr>
                  <Table.Td colSpan={5}>
                    <Text c="dimmed" size="sm" ta="center" py="md">
                      Loading…
                    </Text>
                  </Table.Td>
                </Table.Tr>
              )}
              {tiers.map((t) => (
                <Table.Tr key={t.name}>
                  <Table.Td>{t.rank}</Table.Td>
                  <Table.Td>
                    <Group gap={6}>
                      {t.displayName}
                      {t.builtIn && (
                        <Badge size="xs" variant="light" color="gray" radius="sm">
                          Built in
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" ff="monospace">
                      {t.name}
                    </Text>
                  </Table.Td>
                  <Table.Td>{t.description ?? "—"}</Table.Td>
                  <Table.Td>
                    {perms.isProducerAdmin && (
                      <Group gap={4} justify="flex-end" wrap="nowrap">
                        <Tooltip label="Edit tier">
                          <ActionIcon variant="subtle" aria-label={`Edit tier ${t.displayName}`} onClick={() => setEditing(t)}>
                            <IconEdit size={16} />
                          </ActionIcon>
                        </Tooltip>
                        {!t.builtIn && (
                          <ConfirmButton
                            size="compact-xs"
                            variant="subtle"
                            title="Delete tier"
                            message={`Delete partner tier ${t.displayName}? Tiers in use cannot be deleted.`}
                            confirmLabel="Delete tier"
                            onConfirm={async () => {
                              await partnerTiersApi.remove(t.name);
                              qc.invalidateQueries({ queryKey: keys.partnerTiers });
                              notifications.show({ color: "green", message: `Tier ${t.displayName} deleted.` });
                            }}
                          >
                            Delete
                          </ConfirmButton>
                        )}
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === "new" ? "Create partner tier" : "Edit partner tier"}
      >
        {editing !== null && <TierForm tier={editing === "new" ? null : editing} onDone={() => setEditing(null)} />}
      </Modal>
    </Stack>
  );
}

// ---------------------------------------------------------------------------------------------
// API tokens

function tokenStatus(t: ApiToken): string {
  if (t.revokedAt) return "REVOKED";
  if (t.expiresAt && new Date(t.expiresAt).getTime() < Date.now()) return "EXPIRED";
  return "ACTIVE";
}

function CreateTokenForm({ onCreated, onCancel }: { onCreated: (secret: string) => void; onCancel: () => void }) {
  const session = useSession();
  const qc = useQueryClient();
  const memberships = session.user.memberships;
  const form = useForm({
    initialValues: {
      name: "",
      accountId: memberships.length === 1 ? (memberships[0]?.accountId ?? null) : (null as string | null),
      role: memberships.length === 1 ? (memberships[0]?.role ?? null) : (null as string | null),
      expiresAt: "",
    },
    validate: {
      name: all(required("Name"), maxLength(255)),
      accountId: required("Account"),
      role: required("Role"),
      expiresAt: (v: string) => (v && new Date(`${v}T23:59:59`).getTime() < Date.now() ? "Choose a date in the future" : null),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const accounts = [...new Map(memberships.map((m) => [m.accountId, m])).values()];
  const myRoles = memberships.filter((m) => m.accountId === form.values.accountId).map((m) => m.role);
  const roleChoices = [...new Set(myRoles.flatMap((r) => rolesAtOrBelow(r)))];
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) =>
      tokensApi.create({
        name: v.name.trim(),
        accountId: v.accountId ?? "",
        role: v.role as Role,
        ...(v.expiresAt ? { expiresAt: new Date(`${v.expiresAt}T23:59:59`).toISOString() } : {}),
      }),
    {
      onSuccess: (t) => {
        qc.invalidateQueries({ queryKey: keys.tokens });
        onCreated(t.token);
      },
    },
  );
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <TextInput
          label="Name"
          description="What the token is for, e.g. ERP integration."
          required
          {...form.getInputProps("name")}
        />
        <Select
          label="Account"
          required
          allowDeselect={false}
          data={accounts.map((m) => ({ value: m.accountId, label: `${m.accountName} (${m.accountId})` }))}
          {...form.getInputProps("accountId")}
          onChange={(v) => {
            form.setFieldValue("accountId", v);
            form.setFieldValue("role", null);
          }}
        />
        <Select
          label="Role"
          description="A token acts with this one role: yours or a weaker one."
          required
          allowDeselect={false}
          disabled={!form.values.accountId}
          data={roleChoices.map((r) => ({ value: r, label: roleLabel(r) }))}
          {...form.getInputProps("role")}
        />
        <TextInput
          type="date"
          label="Expires on"
          description="Leave empty for a token that does not expire."
          {...form.getInputProps("expiresAt")}
        />
        <FormAlert error={error} onClose={() => setError(null)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            Create token
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ApiTokensTab() {
  const session = useSession();
  const qc = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const list = usePagedList(keys.tokens, tokensApi.list, {});
  return (
    <Stack>
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          API tokens let scripts and integrations call the REST API as you, with one role. Send them as{" "}
          <Text span ff="monospace" size="xs">
            Authorization: Bearer …
          </Text>
        </Text>
        {session.authMethod === "session" && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            Create API token
          </Button>
        )}
      </Group>
      <DataTable
        what="API tokens"
        list={list}
        rowKey={(t) => t.id}
        emptyText="No API tokens yet."
        columns={[
          {
            key: "name",
            header: "Name",
            render: (t) => (
              <Text size="sm" fw={500}>
                {t.name}
              </Text>
            ),
          },
          {
            key: "prefix",
            header: "Token",
            render: (t) => (
              <Text size="xs" ff="monospace">
                {t.prefix}…
              </Text>
            ),
          },
          { key: "role", header: "Role", render: (t) => `${roleLabel(t.role)} · ${t.accountId}` },
          { key: "owner", header: "Owner", render: (t) => t.userEmail },
          { key: "created", header: "Created", render: (t) => formatDate(t.createdAt) },
          { key: "expires", header: "Expires", render: (t) => (t.expiresAt ? formatDate(t.expiresAt) : "Never") },
          { key: "used", header: "Last used", render: (t) => formatDateTime(t.lastUsedAt) },
          { key: "status", header: "Status", render: (t) => <StateBadge state={tokenStatus(t)} /> },
          {
            key: "actions",
            header: "",
            align: "right",
            render: (t) =>
              !t.revokedAt && (
                <ConfirmButton
                  size="compact-xs"
                  variant="subtle"
                  title="Revoke API token"
                  message={`Revoke the token "${t.name}" (${t.prefix}…)? Anything using it stops working at once.`}
                  confirmLabel="Revoke token"
                  onConfirm={async () => {
                    await tokensApi.revoke(t.id);
                    qc.invalidateQueries({ queryKey: keys.tokens });
                    notifications.show({ color: "green", message: `Token ${t.name} revoked.` });
                  }}
                >
                  Revoke
                </ConfirmButton>
              ),
          },
        ]}
      />
      <Modal opened={creating} onClose={() => setCreating(false)} title="Create API token">
        {creating && (
          <CreateTokenForm
            onCancel={() => setCreating(false)}
            onCreated={(s) => {
              setCreating(false);
              setSecret(s);
            }}
          />
        )}
      </Modal>
      <SecretModal
        opened={!!secret}
        title="Your new API token"
        secret={secret}
        description="Copy this token now and store it somewhere safe, such as your integration's secret store."
        onClose={() => setSecret(null)}
      />
      {session.authMethod === "token" && (
        <Alert color="gray" variant="light">
          You are signed in with an API token; create new tokens from a logged-in browser session.
        </Alert>
      )}
    </Stack>
  );
}
