import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  NumberInput,
  Paper,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconEdit, IconKey, IconLock, IconPlus, IconUsersGroup } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Navigate, useNavigate, useParams } from "react-router-dom";
import { keys, type PartnerTierInput, partnerTiersApi, tokensApi } from "../api/endpoints";
import type { ApiToken, PartnerTier } from "../api/types";
import { usePermissions, useSession } from "../auth/session";
import { ChangePasswordForm } from "../components/ChangePasswordForm";
import { DataTable, usePagedList } from "../components/DataTable";
import { ConfirmButton, SecretModal } from "../components/Dialogs";
import { FormAlert, LoadError, useApiForm } from "../components/FormErrors";
import { PageHeader, StateBadge } from "../components/Page";
import { type Role, rolesAtOrBelow } from "../lib/enums";
import { formatDate, formatDateTime, orNull } from "../lib/format";
import { roleLabel } from "../lib/labels";
import { all, maxLength, required, wholeNumber } from "../lib/validate";

const TABS = ["partner-tiers", "api-tokens", "password"] as const;

export function SettingsPage() {
  const { tab = "partner-tiers" } = useParams();
  const navigate = useNavigate();
  if (!(TABS as readonly string[]).includes(tab)) return <Navigate to="/settings/partner-tiers" replace />;
  return (
    <>
      <PageHeader title="Settings" />
      <Tabs value={tab} onChange={(t) => t && navigate(`/settings/${t}`)} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="partner-tiers" leftSection={<IconUsersGroup size={16} />}>
            Partner tiers
          </Tabs.Tab>
          <Tabs.Tab value="api-tokens" leftSection={<IconKey size={16} />}>
            API tokens
          </Tabs.Tab>
          <Tabs.Tab value="password" leftSection={<IconLock size={16} />}>
            Password
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="partner-tiers">
          <PartnerTiersTab />
        </Tabs.Panel>
        <Tabs.Panel value="api-tokens">
          <ApiTokensTab />
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
