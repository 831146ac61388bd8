import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Group,
  Input,
  Menu,
  Modal,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useDebouncedValue } from "@mantine/hooks";
import {
  IconBuildingPlus,
  IconChevronDown,
  IconFileExport,
  IconInfoCircle,
  IconLock,
  IconPrinter,
  IconUserPlus,
} from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router-dom";
import type { Account, RelatedAccount } from "../../../common/src/api/accounts";
import type { Entitlement } from "../../../common/src/api/entitlements";
import type { WebRegisterKey } from "../../../common/src/api/keys";
import type { Membership, User } from "../../../common/src/api/users";
import { accountsApi, entitlementsApi, keys, webRegisterKeysApi } from "../api/endpoints";
import { partnerApi } from "../api/partner";
import { usePermissions, useSession } from "../auth/session";
import { DataTable, usePagedList } from "../components/DataTable";
import { SecretModal } from "../components/Dialogs";
import { FormAlert, LoadError, useApiForm } from "../components/FormErrors";
import { PageHeader, Section, StateBadge } from "../components/Page";
import { AddUserForm } from "../enduser/PortalUsersPage";
import { LIMITS } from "../lib/enums";
import { formatCount, formatDate, formatDateTime } from "../lib/format";
import { all, maxLength, required } from "../lib/validate";
import { canSplit, SplitDialog } from "../producer/entitlements/SplitDialog";
import { KeyStatusBadge, PrintCardsModal } from "../producer/entitlements/WebRegisterKeys";

/*
 * The channel partners' own portal (issue 15): their bulk entitlements with counts, the keys while
 * they own them, redemptions, splitting (the producer portal's Split dialog), and the accounts
 * related to theirs. The server decides who sees what; these pages only offer what it allows.
 */

export const partnerEntitlementPath = (id: string) => `/partner/entitlements/${encodeURIComponent(id)}`;

/** The caller's channel partner accounts (the first is the one the portal acts for). */
function usePartnerAccounts(): Membership[] {
  const s = useSession();
  return [
    ...new Map(s.user.memberships.filter((m) => m.accountType === "CHANNEL_PARTNER").map((m) => [m.accountId, m])).values(),
  ];
}

const productOf = (e: Entitlement) =>
  e.product?.products.map((p) => `${p.name} ${p.version}${p.quantity > 1 ? ` ×${p.quantity}` : ""}`).join(", ") || "—";

/** How the caller's account stands on a bulk entitlement: current owner, or the tier it holds. */
function standing(e: Entitlement, mine: Set<string>): { owner: boolean; label: string } {
  const own = e.channelPartners.filter((p) => mine.has(p.accountId));
  if (own.some((p) => p.currentOwner)) return { owner: true, label: "Current owner" };
  return { owner: false, label: own.map((p) => p.tierName).join(", ") || "—" };
}

function Count({ label, value, color }: { label: string; value: number | undefined; color?: string }) {
  return (
    <Paper withBorder radius="md" p="sm" miw={140}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fw={700} size="xl" c={color} data-testid={`count-${label.toLowerCase()}`}>
        {value === undefined ? "—" : formatCount(value)}
      </Text>
    </Paper>
  );
}

export function PartnerHomePage() {
  const accounts = usePartnerAccounts();
  const mine = new Set(accounts.map((a) => a.accountId));
  const [q, setQ] = useState("");
  const list = usePagedList(keys.entitlements, entitlementsApi.list, { kind: "BULK", q: q || undefined });
  return (
    <>
      <PageHeader
        title="Bulk entitlements"
        description={`Web register keys ${accounts[0] ? `of ${accounts[0].accountName}` : ""}: those you own now, and those you sold on down the channel.`}
      />
      <DataTable
        what="bulk entitlements"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search by ID, product, account" }}
        rowKey={(e) => e.id}
        emptyText="No bulk entitlements yet: they appear here when the producer or a partner sells you keys."
        columns={[
          {
            key: "id",
            header: "Entitlement",
            render: (e) => (
              <Anchor component={Link} to={partnerEntitlementPath(e.id)} ff="monospace" size="sm">
                {e.entitlementId}
              </Anchor>
            ),
          },
          { key: "product", header: "Product", render: (e) => <Text size="sm">{productOf(e)}</Text> },
          { key: "state", header: "State", render: (e) => <StateBadge state={e.state} /> },
          {
            key: "standing",
            header: "You are",
            render: (e) => {
              const s = standing(e, mine);
              return (
                <Badge variant="light" color={s.owner ? "indigo" : "gray"}>
                  {s.label}
                </Badge>
              );
            },
          },
          { key: "keys", header: "Keys", align: "right", render: (e) => formatCount(e.keyCounts?.total) },
          { key: "redeemed", header: "Redeemed", align: "right", render: (e) => formatCount(e.keyCounts?.redeemed) },
          { key: "unredeemed", header: "Unredeemed", align: "right", render: (e) => formatCount(e.keyCounts?.unredeemed) },
        ]}
      />
    </>
  );
}

const STATUS_OPTIONS = [
  { value: "ALL", label: "All" },
  { value: "UNREDEEMED", label: "Unredeemed" },
  { value: "REDEEMED", label: "Redeemed" },
];

/** The keys of a bulk entitlement the caller's account owns now: list, search, CSV, key cards. */
function PartnerKeys({ e }: { e: Entitlement }) {
  const [status, setStatus] = useState("ALL");
  const [prefix, setPrefix] = useState("");
  const [debounced] = useDebouncedValue(prefix.trim(), 300);
  const [printing, setPrinting] = useState(false);
  const unredeemed = e.keyCounts?.unredeemed ?? 0;
  const list = usePagedList<WebRegisterKey>(
    [...keys.webRegisterKeys, e.id],
    (q) => webRegisterKeysApi.list(e.id, q),
    { status: status === "ALL" ? undefined : status, prefix: debounced || undefined },
    { pageSize: 50 },
  );
  return (
    <Stack>
      <Group justify="flex-end" gap="xs">
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <Button
              variant="default"
              leftSection={<IconFileExport size={16} />}
              rightSection={<IconChevronDown size={14} />}
              disabled={!e.keyCounts?.total}
            >
              Export CSV
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item component="a" href={webRegisterKeysApi.csvUrl(e.id)} download>
              All keys
            </Menu.Item>
            <Menu.Item component="a" href={webRegisterKeysApi.csvUrl(e.id, "UNREDEEMED")} download>
              Unredeemed keys
            </Menu.Item>
            <Menu.Item component="a" href={webRegisterKeysApi.csvUrl(e.id, "REDEEMED")} download>
              Redeemed keys
            </Menu.Item>
          </Menu.Dropdown>
        </Menu>
        <Button
          variant="default"
          leftSection={<IconPrinter size={16} />}
          onClick={() => setPrinting(true)}
          disabled={unredeemed === 0}
        >
          Print key cards (PDF)
        </Button>
      </Group>
      <DataTable
        what="the keys"
        list={list}
        rowKey={(k) => k.key}
        emptyText={status !== "ALL" || debounced ? "No key matches these filters." : "No keys."}
        filters={
          <>
            <Box>
              <Input.Label id={`partner-key-status-${e.id}`} display="block">
                Status
              </Input.Label>
              <SegmentedControl
                aria-labelledby={`partner-key-status-${e.id}`}
                data={STATUS_OPTIONS}
                value={status}
                onChange={setStatus}
              />
            </Box>
            <TextInput
              label="Search keys"
              description="Keys starting with this text"
              placeholder="e.g. 7QK4"
              value={prefix}
              onChange={(ev) => setPrefix(ev.currentTarget.value)}
              w={240}
              styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
            />
          </>
        }
        columns={[
          {
            key: "key",
            header: "Key",
            render: (k) => (
              <Text ff="monospace" size="sm" style={{ whiteSpace: "nowrap" }}>
                {k.key}
              </Text>
            ),
          },
          { key: "status", header: "Status", render: (k) => <KeyStatusBadge status={k.status} /> },
          { key: "created", header: "Loaded", render: (k) => formatDate(k.createdAt) },
          { key: "redeemed", header: "Redeemed", render: (k) => (k.redeemedAt ? formatDateTime(k.redeemedAt) : "—") },
        ]}
      />
      {printing && <PrintCardsModal bulk={e} unredeemed={unredeemed} opened onClose={() => setPrinting(false)} />}
    </Stack>
  );
}

/** Who redeemed this bulk entitlement's keys: when, which customer, the entitlement each became. */
function PartnerRedemptions({ e }: { e: Entitlement }) {
  const [q, setQ] = useState("");
  const list = usePagedList([...keys.webRegisterKeys, e.id, "redemptions"], (p) => partnerApi.redemptions(e.id, p), {
    q: q || undefined,
  });
  return (
    <DataTable
      what="redemptions"
      list={list}
      search={{ onSearch: setQ, placeholder: "Search by customer" }}
      rowKey={(r) => `${r.redeemedAt}-${r.key}`}
      emptyText={q ? "No redemption matches." : "No key of this bulk entitlement has been redeemed yet."}
      columns={[
        { key: "when", header: "Redeemed", render: (r) => formatDateTime(r.redeemedAt) },
        {
          key: "account",
          header: "Customer account",
          render: (r) => (
            <Stack gap={0}>
              <Text size="sm" fw={500}>
                {r.accountName ?? "—"}
              </Text>
              <Text size="xs" c="dimmed">
                {r.accountId}
              </Text>
            </Stack>
          ),
        },
        {
          key: "entitlement",
          header: "Redeemed entitlement",
          render: (r) => (
            <Text ff="monospace" size="sm">
              {r.entitlementId ?? "—"}
            </Text>
          ),
        },
        {
          key: "key",
          header: "Key",
          render: (r) => (
            <Text
              ff="monospace"
              size="sm"
              c={r.keyMasked ? "dimmed" : undefined}
              title={r.keyMasked ? "Only its current owner sees the key" : undefined}
            >
              {r.key}
            </Text>
          ),
        },
        { key: "by", header: "By", render: (r) => <Text size="sm">{r.redeemedBy ?? "—"}</Text> },
      ]}
    />
  );
}

export function PartnerBulkPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const accounts = usePartnerAccounts();
  const mine = new Set(accounts.map((a) => a.accountId));
  const qc = useQueryClient();
  const [splitting, setSplitting] = useState(false);
  const [tab, setTab] = useState<string | null>("overview");
  const { data: e, error } = useQuery({ queryKey: [...keys.entitlements, "detail", id], queryFn: () => entitlementsApi.get(id) });
  if (error) return <LoadError error={error} what="the bulk entitlement" />;
  if (!e) return <Text c="dimmed">Loading…</Text>;
  const owner = e.channelPartners.find((p) => p.currentOwner);
  const iOwn = !!owner && mine.has(owner.accountId);
  const mayKeys = iOwn || perms.isProducerStaff;
  return (
    <>
      <PageHeader
        crumbs={[{ label: "Bulk entitlements", to: "/partner" }]}
        title={<span style={{ fontFamily: "var(--mantine-font-family-monospace)" }}>{e.entitlementId}</span>}
        tabTitle={`Bulk entitlement ${e.entitlementId}`}
        badge={<StateBadge state={e.state} />}
        description={productOf(e)}
        actions={
          iOwn &&
          canSplit(e) && (
            <Button onClick={() => setSplitting(true)} disabled={(e.keyCounts?.unredeemed ?? 0) === 0}>
              Split…
            </Button>
          )
        }
      />
      <Stack>
        <Group gap="sm">
          <Count label="Keys" value={e.keyCounts?.total} />
          <Count label="Redeemed" value={e.keyCounts?.redeemed} color="teal" />
          <Count label="Unredeemed" value={e.keyCounts?.unredeemed} color="indigo" />
        </Group>
        <Tabs value={tab} onChange={setTab} keepMounted={false}>
          <Tabs.List mb="md">
            <Tabs.Tab value="overview">Overview</Tabs.Tab>
            <Tabs.Tab value="keys" leftSection={mayKeys ? undefined : <IconLock size={14} />}>
              Keys
            </Tabs.Tab>
            <Tabs.Tab value="redemptions">Redemptions</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="overview">
            <Section title="Channel partners">
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Tier</Table.Th>
                    <Table.Th>Account</Table.Th>
                    <Table.Th>Contact</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {e.channelPartners.map((p) => (
                    <Table.Tr key={`${p.tier}-${p.accountId}`}>
                      <Table.Td>{p.tierName}</Table.Td>
                      <Table.Td>
                        {p.accountName}{" "}
                        <Text span size="xs" c="dimmed">
                          ({p.accountId})
                        </Text>
                      </Table.Td>
                      <Table.Td>{p.contactEmail ?? "—"}</Table.Td>
                      <Table.Td>
                        <Group gap={4}>
                          {p.currentOwner && <Badge variant="light">Current owner</Badge>}
                          {mine.has(p.accountId) && (
                            <Badge variant="light" color="gray">
                              You
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Section>
          </Tabs.Panel>
          <Tabs.Panel value="keys">
            {mayKeys ? (
              <PartnerKeys e={e} />
            ) : (
              <Alert color="gray" variant="light" icon={<IconInfoCircle size={18} />} title="Not your keys any more">
                {owner ? `${owner.accountName} owns this bulk entitlement now.` : "Another account owns this bulk entitlement."}{" "}
                Its keys are secret to their current owner; you see its counts and redemptions.
              </Alert>
            )}
          </Tabs.Panel>
          <Tabs.Panel value="redemptions">
            <PartnerRedemptions e={e} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
      {splitting && (
        <SplitDialog
          e={e}
          onClose={() => setSplitting(false)}
          pathOf={partnerEntitlementPath}
          onDone={() => {
            qc.invalidateQueries({ queryKey: keys.entitlements });
            qc.invalidateQueries({ queryKey: keys.webRegisterKeys });
          }}
        />
      )}
    </>
  );
}

const NEW_TYPES = [
  { value: "CHANNEL_PARTNER", label: "Reseller (channel partner)" },
  { value: "CUSTOMER", label: "Customer" },
];

/** New reseller or customer account, related to the partner's own account by the server in the same step. */
function NewAccountForm({
  partner,
  onCreated,
  onCancel,
}: {
  partner: Membership;
  onCreated: (a: Account) => void;
  onCancel: () => void;
}) {
  const qc = useQueryClient();
  const form = useForm({
    initialValues: { type: "CHANNEL_PARTNER" as string | null, id: "", name: "", country: "" },
    validate: {
      type: required("Type"),
      id: all(required("Account ID"), maxLength(255)),
      name: all(required("Name"), maxLength(LIMITS.nameMax)),
      country: maxLength(255),
    },
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) =>
      accountsApi.create({
        id: v.id.trim(),
        name: v.name.trim(),
        type: v.type as "CUSTOMER" | "CHANNEL_PARTNER",
        relateTo: partner.accountId,
        ...(v.country.trim() ? { address: { country: v.country.trim() } } : {}),
      }),
    {
      fieldMap: { "address.country": "country" },
      onSuccess: (a) => {
        qc.invalidateQueries({ queryKey: keys.accounts });
        onCreated(a);
      },
    },
  );
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <Text size="sm" c="dimmed">
          The new account is related to {partner.accountName}: you can split keys to it and add its users.
        </Text>
        <Select label="Type" required allowDeselect={false} data={NEW_TYPES} {...form.getInputProps("type")} />
        <SimpleGrid cols={2}>
          <TextInput label="Account ID" required {...form.getInputProps("id")} />
          <TextInput label="Name" required {...form.getInputProps("name")} />
        </SimpleGrid>
        <TextInput label="Country" {...form.getInputProps("country")} />
        <FormAlert error={error} onClose={() => setError(null)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            Create account
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The accounts related to the partner's (whom it may split to); its admins add resellers, customers and their users. */
export function PartnerAccountsPage() {
  const perms = usePermissions();
  const accounts = usePartnerAccounts();
  const [accountId, setAccountId] = useState<string | null>(accounts[0]?.accountId ?? null);
  const partner = accounts.find((a) => a.accountId === accountId) ?? null;
  const isAdmin = !!partner && perms.partnerAdminAccountIds.includes(partner.accountId);
  const [creating, setCreating] = useState(false);
  // Kept while the dialog closes (its title must not change mid-animation); `userOpen` opens it.
  const [addUserTo, setAddUserTo] = useState<{ account: Membership; first: boolean } | null>(null);
  const [userOpen, setUserOpen] = useState(false);
  const openAddUser = (account: Membership, first: boolean) => {
    setAddUserTo({ account, first });
    setUserOpen(true);
  };
  const [secret, setSecret] = useState<{ email: string; password: string } | null>(null);
  const related = useQuery({
    queryKey: [...keys.accounts, "related", accountId],
    queryFn: () => partnerApi.relatedAccounts(accountId as string),
    enabled: !!accountId,
  });
  const asMembership = (a: Pick<RelatedAccount, "id" | "name" | "type">): Membership => ({
    accountId: a.id,
    accountName: a.name,
    accountType: a.type,
    role: a.type === "CHANNEL_PARTNER" ? "PARTNER_PORTAL_ADMIN" : "CUSTOMER_PORTAL_ADMIN",
  });
  return (
    <>
      <PageHeader
        title="Related accounts"
        description={
          partner ? `Resellers and customers related to ${partner.accountName}: the accounts you may split keys to.` : undefined
        }
        actions={
          isAdmin && (
            <Button leftSection={<IconBuildingPlus size={16} />} onClick={() => setCreating(true)}>
              New account
            </Button>
          )
        }
      />
      {accounts.length > 1 && (
        <Select
          mb="md"
          w={280}
          aria-label="Partner account"
          allowDeselect={false}
          data={accounts.map((a) => ({ value: a.accountId, label: a.accountName }))}
          value={accountId}
          onChange={setAccountId}
        />
      )}
      {related.error ? (
        <LoadError error={related.error} what="related accounts" />
      ) : (
        <Paper withBorder radius="md">
          <Table highlightOnHover verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Account</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Tiers on shared entitlements</Table.Th>
                <Table.Th ta="right">Shared entitlements</Table.Th>
                <Table.Th>Related since</Table.Th>
                {isAdmin && <Table.Th />}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(related.data?.items ?? []).map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {a.name}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {a.id}
                      {a.country ? ` · ${a.country}` : ""}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={a.type === "CHANNEL_PARTNER" ? "indigo" : "teal"}>
                      {a.type === "CHANNEL_PARTNER" ? "Partner" : a.type === "CUSTOMER" ? "Customer" : a.type}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {a.tiers.length ? (
                        a.tiers.map((t) => (
                          <Badge key={t} variant="outline" color="gray">
                            {t}
                          </Badge>
                        ))
                      ) : (
                        <Text size="sm" c="dimmed">
                          —
                        </Text>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td ta="right">{formatCount(a.sharedEntitlements)}</Table.Td>
                  <Table.Td>{formatDate(a.relatedAt)}</Table.Td>
                  {isAdmin && (
                    <Table.Td ta="right">
                      {/* Users are placed only on accounts this partner created (it manages them). */}
                      <Button
                        disabled={!a.managed}
                        title={a.managed ? undefined : "Only the producer or the account's own admins add its users"}
                        size="compact-sm"
                        variant="subtle"
                        leftSection={<IconUserPlus size={14} />}
                        onClick={() => openAddUser(asMembership(a), false)}
                      >
                        Add user
                      </Button>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
              {related.isSuccess && related.data.items.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={6}>
                    <Text c="dimmed" size="sm" ta="center" py="md">
                      No related accounts yet.{isAdmin ? " Create a reseller or customer account to sell keys to." : ""}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
      <Modal opened={creating && !!partner} onClose={() => setCreating(false)} title="New related account" size="lg">
        {partner && (
          <NewAccountForm
            partner={partner}
            onCancel={() => setCreating(false)}
            onCreated={(a) => {
              setCreating(false);
              // Next: its first user, an administrator of the new account.
              openAddUser(asMembership(a), true);
            }}
          />
        )}
      </Modal>
      <Modal
        opened={userOpen && !!addUserTo}
        onClose={() => setUserOpen(false)}
        title={
          addUserTo?.first
            ? `First user of ${addUserTo.account.accountName}`
            : `Add a user to ${addUserTo?.account.accountName ?? ""}`
        }
        size="lg"
      >
        {addUserTo && (
          <AddUserForm
            key={addUserTo.account.accountId}
            account={addUserTo.account}
            onCancel={() => setUserOpen(false)}
            onCreated={(u: User & { initialPassword?: string }) => {
              setUserOpen(false);
              if (u.initialPassword) setSecret({ email: u.email, password: u.initialPassword });
            }}
          />
        )}
      </Modal>
      <SecretModal
        opened={!!secret}
        title="Initial password"
        secret={secret?.password ?? null}
        onClose={() => setSecret(null)}
        description={`The password of ${secret?.email ?? ""}: give it to them safely.`}
      />
    </>
  );
}
