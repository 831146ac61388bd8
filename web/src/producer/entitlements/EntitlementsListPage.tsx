import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Checkbox,
  Collapse,
  Group,
  Menu,
  Modal,
  MultiSelect,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconAdjustmentsHorizontal, IconChevronDown, IconKey, IconPlus, IconTransform } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import type { Entitlement, EntitlementStatesResult } from "../../../../common/src/api/entitlements";
import { errorMessage, type QueryParams } from "../../api/client";
import { entitlementsApi, keys } from "../../api/endpoints";
import { usePermissions } from "../../auth/session";
import { AccountSelect } from "../../components/AccountSelect";
import { DataTable, SearchInput, usePagedList } from "../../components/DataTable";
import { PageHeader, StateBadge } from "../../components/Page";
import { formatDateTime } from "../../lib/format";
import { humanize } from "../../lib/labels";
import { ActivateByKeyModal } from "./ActivateByKey";
import { usePartnerTiers } from "./HeaderFields";
import {
  DATE_OPERATOR_OPTIONS,
  ENTITLEMENT_ROUTES,
  entitlementPath,
  MOVE_WORDS,
  productNamesOf,
  STATE_OPTIONS,
  TEXT_OPERATOR_OPTIONS,
} from "./model";

/** Text criteria of the advanced search, each `field=OP:value`. */
const TEXT_CRITERIA = [
  { key: "entitlementId", label: "Entitlement ID" },
  { key: "activationId", label: "Activation ID" },
  { key: "orderId", label: "Order ID" },
  { key: "productName", label: "Product name" },
  { key: "accountName", label: "Account name" },
  { key: "description", label: "Description" },
  { key: "createdBy", label: "Created by" },
] as const;
type TextKey = (typeof TEXT_CRITERIA)[number]["key"];

interface Criteria {
  text: Record<TextKey, { op: string; value: string }>;
  createdOp: string;
  createdOn: string;
  states: string[];
  kind: string | null;
  tier: string | null;
  accountId: string | null;
}

const emptyCriteria = (): Criteria => ({
  text: Object.fromEntries(TEXT_CRITERIA.map((c) => [c.key, { op: "CONTAINS", value: "" }])) as Criteria["text"],
  createdOp: "ON",
  createdOn: "",
  states: [],
  kind: null,
  tier: null,
  accountId: null,
});

function paramsOf(q: string, c: Criteria): QueryParams {
  const p: QueryParams = { q: q || undefined };
  for (const { key } of TEXT_CRITERIA) {
    const t = c.text[key];
    if (t.value.trim()) p[key] = `${t.op}:${t.value.trim()}`;
  }
  if (c.createdOn) p.createdAt = `${c.createdOp}:${c.createdOn}`;
  if (c.states.length) p.state = c.states.join(",");
  if (c.kind) p.kind = c.kind;
  if (c.accountId) p.accountId = c.accountId;
  if (c.tier && c.accountId) p.tier = c.tier;
  return p;
}

const activeCount = (c: Criteria) =>
  TEXT_CRITERIA.filter(({ key }) => c.text[key].value.trim()).length +
  (c.createdOn ? 1 : 0) +
  (c.states.length ? 1 : 0) +
  (c.kind ? 1 : 0) +
  (c.accountId ? 1 : 0);

function AdvancedSearch({ initial, onApply }: { initial: Criteria; onApply: (c: Criteria) => void }) {
  const [c, setC] = useState<Criteria>(initial);
  const tiers = usePartnerTiers();
  const setText = (key: TextKey, patch: Partial<{ op: string; value: string }>) =>
    setC((x) => ({ ...x, text: { ...x.text, [key]: { ...x.text[key], ...patch } } }));
  return (
    <Box
      component="form"
      p="sm"
      bg="gray.0"
      style={{ borderBottom: "1px solid var(--mantine-color-gray-3)" }}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(c);
      }}
      data-testid="advanced-search"
    >
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" verticalSpacing="xs">
        {TEXT_CRITERIA.map(({ key, label }) => (
          <Box key={key}>
            {/* Not a <label>: the text input alone is named after the criterion (getByLabel("Order ID")). */}
            <Text size="sm" fw={500} mb={2}>
              {label}
            </Text>
            <Group gap="xs" wrap="nowrap">
              <Select
                aria-label={`${label} operator`}
                data={TEXT_OPERATOR_OPTIONS}
                allowDeselect={false}
                value={c.text[key].op}
                onChange={(op) => setText(key, { op: op ?? "CONTAINS" })}
                w={150}
              />
              <TextInput
                aria-label={label}
                value={c.text[key].value}
                onChange={(e) => setText(key, { value: e.currentTarget.value })}
                style={{ flex: 1 }}
              />
            </Group>
          </Box>
        ))}
        <Box>
          <Text size="sm" fw={500} mb={2}>
            Created
          </Text>
          <Group gap="xs" wrap="nowrap">
            <Select
              aria-label="Created operator"
              data={DATE_OPERATOR_OPTIONS}
              allowDeselect={false}
              value={c.createdOp}
              onChange={(op) => setC((x) => ({ ...x, createdOp: op ?? "ON" }))}
              w={150}
            />
            <TextInput
              aria-label="Created date"
              type="date"
              value={c.createdOn}
              onChange={(e) => setC((x) => ({ ...x, createdOn: e.currentTarget.value }))}
              style={{ flex: 1 }}
            />
          </Group>
        </Box>
        <MultiSelect
          label="State"
          placeholder={c.states.length ? undefined : "Any state"}
          data={STATE_OPTIONS}
          value={c.states}
          onChange={(states) => setC((x) => ({ ...x, states }))}
          clearable
        />
        <Select
          label="Kind"
          placeholder="Simple and bulk"
          clearable
          data={[
            { value: "SIMPLE", label: "Simple" },
            { value: "BULK", label: "Bulk" },
          ]}
          value={c.kind}
          onChange={(kind) => setC((x) => ({ ...x, kind }))}
        />
        <Group gap="xs" wrap="nowrap" align="flex-end">
          <Select
            label="Tier"
            placeholder="Any tier"
            clearable
            w={180}
            data={tiers.items.map((t) => ({ value: t.name, label: t.displayName }))}
            value={c.tier}
            onChange={(tier) => setC((x) => ({ ...x, tier }))}
          />
          <Box style={{ flex: 1 }}>
            <AccountSelect
              label="Account"
              value={c.accountId}
              onChange={(a) => setC((x) => ({ ...x, accountId: a?.id ?? null }))}
            />
          </Box>
        </Group>
      </SimpleGrid>
      <Group mt="sm" gap="xs">
        <Button type="submit" size="xs">
          Search
        </Button>
        <Button
          size="xs"
          variant="default"
          onClick={() => {
            const e = emptyCriteria();
            setC(e);
            onApply(e);
          }}
        >
          Reset
        </Button>
        <Text size="xs" c="dimmed">
          The tier narrows the account criterion to that tier.
        </Text>
      </Group>
    </Box>
  );
}

/** Every state an entitlement can be moved to; each one's own rules decide per entitlement (the batch reports refusals). */
const MOVES = Object.entries(MOVE_WORDS).map(([to, w]) => ({ to, label: w.label }));

function BatchResultModal({ result, onClose }: { result: EntitlementStatesResult | null; onClose: () => void }) {
  if (!result) return null;
  const color = result.status === "SUCCESS" ? "green" : result.status === "FAILURE" ? "red" : "orange";
  return (
    <Modal opened onClose={onClose} title="Change state: results" size="lg">
      <Stack>
        <Group gap="xs">
          <Text size="sm">Overall:</Text>
          <Badge color={color} variant="light" radius="sm" data-testid="batch-status" style={{ overflow: "visible" }}>
            {result.status}
          </Badge>
          <Text size="sm" c="dimmed">
            {result.results.filter((r) => r.ok).length} of {result.results.length} changed
          </Text>
        </Group>
        <Table verticalSpacing={6} fz="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Entitlement ID</Table.Th>
              <Table.Th>Result</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {result.results.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>{r.entitlementId ?? r.id}</Table.Td>
                <Table.Td>
                  <Box miw={90}>
                    <Badge color={r.ok ? "green" : "red"} variant="light" radius="sm">
                      {r.ok ? "Success" : "Failed"}
                    </Badge>
                  </Box>
                </Table.Td>
                <Table.Td>{r.state ? humanize(r.state) : "—"}</Table.Td>
                <Table.Td>{r.reason ?? "—"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** Entitlements > List Entitlements: simple and advanced search, counts, multi-select Change State. */
export function EntitlementsListPage() {
  const perms = usePermissions();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [q, setQ] = useState("");
  const [criteria, setCriteria] = useState<Criteria>(emptyCriteria);
  const [advanced, setAdvanced] = useState(false);
  const [selected, setSelected] = useState<Map<string, string>>(new Map());
  const [confirm, setConfirm] = useState<{ to: string; label: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<EntitlementStatesResult | null>(null);
  // ?activate=<key> (from the redeem page) opens Activate by key with the key filled in.
  const [search, setSearch] = useSearchParams();
  const [activating, setActivating] = useState<{ key: string } | null>(() =>
    search.has("activate") ? { key: search.get("activate") ?? "" } : null,
  );
  const closeActivate = () => {
    setActivating(null);
    if (search.has("activate"))
      setSearch(
        (p) => {
          const n = new URLSearchParams(p);
          n.delete("activate");
          return n;
        },
        { replace: true },
      );
  };
  const params = paramsOf(q, criteria);
  const list = usePagedList<Entitlement>(keys.entitlements, entitlementsApi.list, params);
  const count = useQuery({
    queryKey: [...keys.entitlements, "count", params],
    queryFn: () => entitlementsApi.count(params),
  });
  const pageIds = list.items.map((e) => e.id);
  const allOnPage = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const someOnPage = pageIds.some((id) => selected.has(id));
  const toggle = (e: Entitlement) =>
    setSelected((s) => {
      const n = new Map(s);
      if (n.has(e.id)) n.delete(e.id);
      else n.set(e.id, e.entitlementId);
      return n;
    });
  const n = activeCount(criteria);

  const run = async () => {
    if (!confirm) return;
    setBusy(true);
    setError(null);
    try {
      const r = await entitlementsApi.changeStates([...selected.keys()], confirm.to);
      qc.invalidateQueries({ queryKey: keys.entitlements });
      setConfirm(null);
      if (r.status === "SUCCESS") {
        notifications.show({ color: "green", message: `${r.results.length} entitlement(s) moved to ${humanize(confirm.to)}.` });
        setSelected(new Map());
      }
      setResult(r);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageHeader
        title="Entitlements"
        description="What customers and channel partners bought: simple entitlements with line items, and bulk entitlements with web register keys."
        actions={
          perms.isProducerWriter && (
            <>
              <Button variant="default" leftSection={<IconKey size={16} />} onClick={() => setActivating({ key: "" })}>
                Activate by key
              </Button>
              <Button
                component={Link}
                to={ENTITLEMENT_ROUTES.createSimple}
                variant="default"
                leftSection={<IconPlus size={16} />}
              >
                Create Simple
              </Button>
              <Button component={Link} to={ENTITLEMENT_ROUTES.createBulk} leftSection={<IconPlus size={16} />}>
                Create Bulk
              </Button>
            </>
          )
        }
      />
      <Paper withBorder radius="md" mb="sm">
        <Group p="sm" gap="sm" wrap="wrap" align="center">
          <SearchInput onSearch={setQ} placeholder="Search IDs, accounts, orders, products" />
          <Button
            variant={advanced ? "light" : "default"}
            leftSection={<IconAdjustmentsHorizontal size={16} />}
            rightSection={
              n ? (
                <Badge size="xs" circle>
                  {n}
                </Badge>
              ) : null
            }
            onClick={() => setAdvanced((a) => !a)}
            aria-expanded={advanced}
          >
            Advanced search
          </Button>
          <Text size="sm" c="dimmed" ml="auto" data-testid="entitlement-count">
            {count.data ? `${count.data.count} entitlement${count.data.count === 1 ? "" : "s"}` : count.error ? "" : "Counting…"}
          </Text>
          {perms.isProducerWriter && (
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button
                  variant="default"
                  disabled={selected.size === 0}
                  leftSection={<IconTransform size={16} />}
                  rightSection={<IconChevronDown size={14} />}
                >
                  Change state{selected.size ? ` (${selected.size})` : ""}
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                {MOVES.map((m) => (
                  <Menu.Item key={m.to} onClick={() => setConfirm(m)}>
                    {m.label}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          )}
        </Group>
        <Collapse expanded={advanced}>
          <AdvancedSearch initial={criteria} onApply={setCriteria} />
        </Collapse>
      </Paper>
      <DataTable
        what="entitlements"
        list={list}
        rowKey={(e) => e.id}
        onRowClick={(e) => navigate(entitlementPath(e.id))}
        emptyText={q || n ? "No entitlement matches these criteria." : "No entitlements yet."}
        columns={[
          ...(perms.isProducerWriter
            ? [
                {
                  key: "select",
                  width: 36,
                  header: (
                    <Checkbox
                      aria-label="Select all on this page"
                      checked={allOnPage}
                      indeterminate={someOnPage && !allOnPage}
                      onChange={() =>
                        setSelected((s) => {
                          const next = new Map(s);
                          for (const e of list.items) {
                            if (allOnPage) next.delete(e.id);
                            else next.set(e.id, e.entitlementId);
                          }
                          return next;
                        })
                      }
                    />
                  ),
                  render: (e: Entitlement) => (
                    <Checkbox
                      aria-label={`Select ${e.entitlementId}`}
                      checked={selected.has(e.id)}
                      onClick={(ev) => ev.stopPropagation()}
                      onChange={() => toggle(e)}
                    />
                  ),
                },
              ]
            : []),
          {
            key: "id",
            header: "Entitlement ID",
            render: (e) => (
              <Anchor
                component={Link}
                to={entitlementPath(e.id)}
                size="sm"
                fw={500}
                ff="monospace"
                style={{ whiteSpace: "nowrap" }}
                onClick={(ev) => ev.stopPropagation()}
              >
                {e.entitlementId}
              </Anchor>
            ),
          },
          { key: "kind", header: "Kind", render: (e) => (e.kind === "BULK" ? "Bulk" : "Simple") },
          {
            key: "state",
            header: "State",
            render: (e) => (
              <Box miw={100}>
                <StateBadge state={e.state} />
              </Box>
            ),
          },
          {
            key: "soldTo",
            header: "Sold to",
            render: (e) => {
              const p = e.channelPartners.find((x) => x.accountId === e.soldTo);
              return p ? p.accountName : (e.soldTo ?? "—");
            },
          },
          {
            key: "products",
            header: "Product(s)",
            render: (e) => {
              const names = productNamesOf(e);
              return names.length ? (
                names.join(", ")
              ) : (
                <Text c="dimmed" size="sm">
                  —
                </Text>
              );
            },
          },
          { key: "order", header: "Order ID", render: (e) => e.orderId ?? "—" },
          { key: "created", header: "Created", render: (e) => formatDateTime(e.createdAt) },
        ]}
      />
      <Modal opened={!!confirm} onClose={() => setConfirm(null)} title="Change state">
        <Stack>
          <Text size="sm">
            Move {selected.size} selected entitlement{selected.size === 1 ? "" : "s"} to{" "}
            <b>{confirm ? humanize(confirm.to) : ""}</b>? Each one is changed on its own; those that cannot move are reported.
          </Text>
          <Text size="xs" c="dimmed">
            {[...selected.values()].slice(0, 10).join(", ")}
            {selected.size > 10 ? ` and ${selected.size - 10} more` : ""}
          </Text>
          {error && (
            <Alert color="red" variant="light" role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(null)}>
              Cancel
            </Button>
            <Button loading={busy} onClick={run}>
              {confirm?.label ?? "Change"}
            </Button>
          </Group>
        </Stack>
      </Modal>
      <BatchResultModal result={result} onClose={() => setResult(null)} />
      {activating && perms.isProducerWriter && <ActivateByKeyModal opened onClose={closeActivate} initialKey={activating.key} />}
    </>
  );
}
