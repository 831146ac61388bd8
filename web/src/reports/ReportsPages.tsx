import {
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  Group,
  Loader,
  Paper,
  Progress,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedValue, useDisclosure } from "@mantine/hooks";
import { IconChevronDown, IconChevronRight, IconDownload, IconHierarchy2 } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useMemo, useState } from "react";
import { Link, useParams, useSearchParams } from "react-router-dom";
import { entitlementsApi } from "../api/endpoints";
import {
  type BulkReport,
  type ChainNode,
  type PartnerReport,
  type ReportInterval,
  type ReportParams,
  reportsApi,
} from "../api/reports";
import { useSession } from "../auth/session";
import { AccountSelect } from "../components/AccountSelect";
import { Figure } from "../components/Figure";
import { LoadError } from "../components/FormErrors";
import { PageHeader } from "../components/Page";
import { PARTNER_ROLES, type Role } from "../lib/enums";

/*
 * Reports (issue 15 items 3–4): per bulk entitlement (with those split from it) and per partner
 * account — keys over time, redemptions by end customer, top resellers, each table as CSV — and
 * the chain view. The charts module (recharts) is fetched only once a report is on screen.
 */

const charts = () => import("./ReportCharts");
const KeysOverTimeChart = lazy(() => charts().then((m) => ({ default: m.KeysOverTimeChart })));
const ActivityChart = lazy(() => charts().then((m) => ({ default: m.ActivityChart })));

const fmt = (n: number) => n.toLocaleString("en-US");

function CsvButton({ href, label }: { href: string; label: string }) {
  return (
    <Button component="a" href={href} download variant="default" size="compact-sm" leftSection={<IconDownload size={14} />}>
      {label}
    </Button>
  );
}

/** Interval and period of a report. */
function PeriodControls({ value, onChange }: { value: ReportParams; onChange: (p: ReportParams) => void }) {
  return (
    <Group align="flex-end" gap="sm" wrap="wrap">
      <SegmentedControl
        aria-label="Interval"
        value={value.interval ?? "day"}
        onChange={(v) => onChange({ ...value, interval: v as ReportInterval, from: undefined })}
        data={[
          { value: "day", label: "Days" },
          { value: "week", label: "Weeks" },
          { value: "month", label: "Months" },
        ]}
      />
      <TextInput
        type="date"
        label="From"
        size="xs"
        value={value.from ?? ""}
        onChange={(e) => onChange({ ...value, from: e.currentTarget.value || undefined })}
      />
      <TextInput
        type="date"
        label="To"
        size="xs"
        value={value.to ?? ""}
        onChange={(e) => onChange({ ...value, to: e.currentTarget.value || undefined })}
      />
    </Group>
  );
}

/** "1 key", "2 keys": a count with its noun. */
const counted = (n: number, noun: string) => `${fmt(n)} ${noun}${n === 1 ? "" : "s"}`;

type Report = BulkReport | PartnerReport;
type ReportTable = "series" | "customers" | "resellers";

/** The figures, charts and tables of one report. */
function ReportView({
  report,
  csv,
  resellerLink,
}: {
  report: Report;
  csv: (t: ReportTable) => string;
  resellerLink?: (id: string) => string;
}) {
  const t = report.totals;
  const period = report.series.reduce(
    (s, p) => ({ loaded: s.loaded + p.loaded + p.received, redeemed: s.redeemed + p.redeemed }),
    { loaded: 0, redeemed: 0 },
  );
  return (
    <Stack gap="md">
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Figure
          label="Keys"
          value={fmt(t.keys)}
          hint={`${t.bulkEntitlements} bulk entitlement${t.bulkEntitlements === 1 ? "" : "s"}`}
        />
        <Figure
          label="Redeemed"
          value={fmt(t.redeemed)}
          hint={t.keys ? `${Math.round((t.redeemed / t.keys) * 100)}% of the keys` : undefined}
        />
        <Figure label="Unredeemed" value={fmt(t.unredeemed)} />
        <Figure
          label="In the period"
          value={`${fmt(period.redeemed)} redeemed`}
          hint={`${fmt(period.loaded)} loaded or received`}
        />
      </SimpleGrid>
      <Card withBorder radius="md" padding="md">
        <Group justify="space-between" mb="sm">
          <Title order={4} fw={600}>
            Keys over time
          </Title>
          <CsvButton href={csv("series")} label="CSV" />
        </Group>
        <Suspense fallback={<Loader aria-label="Loading chart" />}>
          <Box data-testid="keys-chart">
            <KeysOverTimeChart series={report.series} interval={report.interval} />
          </Box>
          <Box mt="md">
            <ActivityChart series={report.series} interval={report.interval} />
          </Box>
        </Suspense>
      </Card>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Card withBorder radius="md" padding="md">
          <Group justify="space-between" mb="sm">
            <Title order={4} fw={600}>
              Redemptions by end customer
            </Title>
            <CsvButton href={csv("customers")} label="CSV" />
          </Group>
          <Text size="xs" c="dimmed" mb="xs">
            {report.from} to {report.to}: {counted(report.customers.redeemed, "key")} by{" "}
            {counted(report.customers.customers, "customer")}
          </Text>
          <Table striped aria-label="Redemptions by end customer">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Customer</Table.Th>
                <Table.Th ta="right">Redeemed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.customers.items.map((c) => (
                <Table.Tr key={c.accountId ?? "-"}>
                  <Table.Td>{c.accountName}</Table.Td>
                  <Table.Td ta="right">{fmt(c.redeemed)}</Table.Td>
                </Table.Tr>
              ))}
              {report.customers.others.customers > 0 && (
                <Table.Tr>
                  <Table.Td c="dimmed">Others ({counted(report.customers.others.customers, "customer")})</Table.Td>
                  <Table.Td ta="right">{fmt(report.customers.others.redeemed)}</Table.Td>
                </Table.Tr>
              )}
              {report.customers.items.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={2} c="dimmed">
                    No redemptions in the period.
                  </Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
        </Card>
        <Card withBorder radius="md" padding="md">
          <Group justify="space-between" mb="sm">
            <Title order={4} fw={600}>
              Top resellers
            </Title>
            <CsvButton href={csv("resellers")} label="CSV" />
          </Group>
          <Table striped aria-label="Top resellers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Reseller</Table.Th>
                <Table.Th ta="right">Received</Table.Th>
                <Table.Th ta="right">Redeemed</Table.Th>
                <Table.Th ta="right">Unredeemed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.resellers.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>
                    <Text size="sm">{r.accountName ?? r.accountId ?? "—"}</Text>
                    <Text size="xs" c="dimmed">
                      {resellerLink ? (
                        <Anchor component={Link} to={resellerLink(r.id)} size="xs">
                          {r.entitlementId}
                        </Anchor>
                      ) : (
                        r.entitlementId
                      )}
                      {r.tier ? ` · ${r.tier}` : ""}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">{fmt(r.received)}</Table.Td>
                  <Table.Td ta="right">{fmt(r.redeemed)}</Table.Td>
                  <Table.Td ta="right">{fmt(r.unredeemed)}</Table.Td>
                </Table.Tr>
              ))}
              {report.resellers.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={4} c="dimmed">
                    No keys split to resellers.
                  </Table.Td>
                </Table.Tr>
              )}
            </Table.Tbody>
          </Table>
        </Card>
      </SimpleGrid>
    </Stack>
  );
}

function useBulkReport(id: string | null, params: ReportParams) {
  return useQuery({
    queryKey: ["reports", "bulk", id, params],
    queryFn: () => reportsApi.bulk(id as string, params),
    enabled: !!id,
    placeholderData: keepPreviousData,
  });
}

function usePartnerReport(accountId: string | null, params: ReportParams) {
  return useQuery({
    queryKey: ["reports", "partner", accountId, params],
    queryFn: () => reportsApi.partner(accountId as string, params),
    enabled: !!accountId,
    placeholderData: keepPreviousData,
  });
}

/** A searchable pick of bulk entitlements (by entitlement ID). */
function BulkSelect({
  value,
  label,
  onChange,
}: {
  value: string | null;
  /** The chosen one's entitlement ID, when known (it may not be among the search results). */
  label?: string | undefined;
  onChange: (id: string | null) => void;
}) {
  const [search, setSearch] = useState("");
  const [q] = useDebouncedValue(search, 250);
  const { data } = useQuery({
    queryKey: ["entitlements", "pick-bulk", q],
    queryFn: () => entitlementsApi.list({ kind: "BULK", q: q || undefined, limit: 20 }),
    staleTime: 30_000,
  });
  const options = (data?.items ?? []).map((e) => ({ value: e.id, label: e.entitlementId }));
  if (value && !options.some((o) => o.value === value)) options.unshift({ value, label: label ?? value });
  return (
    <Select
      label="Bulk entitlement"
      placeholder="Search entitlement IDs"
      searchable
      clearable
      w={320}
      data={options}
      value={value}
      onChange={onChange}
      searchValue={search}
      onSearchChange={setSearch}
      nothingFoundMessage="No bulk entitlement"
    />
  );
}

/** Producer staff: the report of any bulk entitlement or partner account (/reports?bulk=… or ?account=…). */
export function ProducerReportsPage() {
  const [sp, setSp] = useSearchParams();
  const bulk = sp.get("bulk");
  const account = sp.get("account");
  const [mode, setMode] = useState<"bulk" | "account">(account ? "account" : "bulk");
  const [params, setParams] = useState<ReportParams>({ interval: "day" });
  const bulkQ = useBulkReport(mode === "bulk" ? bulk : null, params);
  const partnerQ = usePartnerReport(mode === "account" ? account : null, params);
  const q = mode === "bulk" ? bulkQ : partnerQ;
  const report = q.data;
  return (
    <>
      <PageHeader
        title="Reports"
        description="Keys loaded, redeemed and unredeemed over time, redemptions by end customer and top resellers — for a bulk entitlement with those split from it, or for a partner account."
        actions={
          mode === "bulk" && bulk ? (
            <Button
              component={Link}
              to={`/entitlements/${bulk}/chain`}
              variant="light"
              leftSection={<IconHierarchy2 size={16} />}
            >
              Chain view
            </Button>
          ) : undefined
        }
      />
      <Stack gap="md">
        <Group align="flex-end" gap="md" wrap="wrap">
          <SegmentedControl
            aria-label="Report of"
            value={mode}
            onChange={(v) => setMode(v as "bulk" | "account")}
            data={[
              { value: "bulk", label: "Bulk entitlement" },
              { value: "account", label: "Partner account" },
            ]}
          />
          {mode === "bulk" ? (
            <BulkSelect
              value={bulk}
              label={bulkQ.data?.entitlement.entitlementId}
              onChange={(id) => setSp(id ? { bulk: id } : {})}
            />
          ) : (
            <AccountSelect label="Partner account" w={320} value={account} onChange={(a) => setSp(a ? { account: a.id } : {})} />
          )}
          <PeriodControls value={params} onChange={setParams} />
        </Group>
        {q.error ? <LoadError error={q.error} /> : null}
        {q.isLoading && <Loader aria-label="Loading report" />}
        {!report && !q.isLoading && (
          <Text c="dimmed">Choose a {mode === "bulk" ? "bulk entitlement" : "partner account"} to see its report.</Text>
        )}
        {report && mode === "bulk" && bulk && (
          <ReportView
            report={report}
            csv={(t) => reportsApi.bulkCsvUrl(bulk, t, params)}
            resellerLink={(id) => `/reports?bulk=${encodeURIComponent(id)}`}
          />
        )}
        {report && mode === "account" && account && "bulks" in report && (
          <>
            <OwnedBulks
              report={report}
              csv={reportsApi.partnerCsvUrl(account, "bulks", params)}
              link={(id) => `/reports?bulk=${encodeURIComponent(id)}`}
            />
            <ReportView report={report} csv={(t) => reportsApi.partnerCsvUrl(account, t, params)} />
          </>
        )}
      </Stack>
    </>
  );
}

function OwnedBulks({
  report,
  csv,
  link,
  onPick,
}: {
  report: PartnerReport;
  csv: string;
  link?: (id: string) => string;
  onPick?: (id: string) => void;
}) {
  return (
    <Card withBorder radius="md" padding="md">
      <Group justify="space-between" mb="sm">
        <Title order={4} fw={600}>
          Bulk entitlements of {report.account.name}
        </Title>
        <CsvButton href={csv} label="CSV" />
      </Group>
      <Table striped aria-label="Bulk entitlements owned">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Entitlement ID</Table.Th>
            <Table.Th ta="right">Keys</Table.Th>
            <Table.Th ta="right">Redeemed</Table.Th>
            <Table.Th ta="right">Unredeemed</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {report.bulks.map((b) => (
            <Table.Tr key={b.id}>
              <Table.Td>
                {link ? (
                  <Anchor component={Link} to={link(b.id)} size="sm">
                    {b.entitlementId}
                  </Anchor>
                ) : onPick ? (
                  <Anchor component="button" size="sm" onClick={() => onPick(b.id)}>
                    {b.entitlementId}
                  </Anchor>
                ) : (
                  b.entitlementId
                )}
              </Table.Td>
              <Table.Td ta="right">{fmt(b.keys)}</Table.Td>
              <Table.Td ta="right">{fmt(b.redeemed)}</Table.Td>
              <Table.Td ta="right">{fmt(b.unredeemed)}</Table.Td>
            </Table.Tr>
          ))}
          {report.bulks.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={4} c="dimmed">
                The account owns no bulk entitlement.
              </Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

/**
 * A channel partner's users: their own account's report, and the report of each bulk entitlement
 * it owns (routed at /partner/reports by the partner portal).
 */
export function PartnerReportsPage() {
  const s = useSession();
  const accounts = useMemo(() => {
    const partner = s.user.memberships.filter((m) => (PARTNER_ROLES as readonly Role[]).includes(m.role as Role));
    return [...new Map(partner.map((m) => [m.accountId, m])).values()];
  }, [s.user.memberships]);
  const [accountId, setAccountId] = useState<string | null>(accounts[0]?.accountId ?? null);
  const [bulk, setBulk] = useState<string | null>(null);
  const [params, setParams] = useState<ReportParams>({ interval: "day" });
  const partnerQ = usePartnerReport(accountId, params);
  const bulkQ = useBulkReport(bulk, params);
  const report = partnerQ.data;
  return (
    <>
      <PageHeader title="Reports" description="Your keys over time, who redeemed them and how your resellers are doing." />
      <Stack gap="md">
        <Group align="flex-end" gap="md" wrap="wrap">
          {accounts.length > 1 && (
            <Select
              label="Account"
              data={accounts.map((m) => ({ value: m.accountId, label: m.accountId }))}
              value={accountId}
              onChange={(v) => {
                setAccountId(v);
                setBulk(null);
              }}
              w={260}
            />
          )}
          {report && report.bulks.length > 0 && (
            <Select
              label="Report of"
              w={320}
              data={[
                { value: "", label: "All my bulk entitlements" },
                ...report.bulks.map((b) => ({ value: b.id, label: b.entitlementId })),
              ]}
              value={bulk ?? ""}
              onChange={(v) => setBulk(v || null)}
            />
          )}
          <PeriodControls value={params} onChange={setParams} />
        </Group>
        {!accountId && <Text c="dimmed">Your user belongs to no channel partner account.</Text>}
        {partnerQ.error ? <LoadError error={partnerQ.error} /> : null}
        {bulkQ.error ? <LoadError error={bulkQ.error} /> : null}
        {(partnerQ.isLoading || (bulk && bulkQ.isLoading)) && <Loader aria-label="Loading report" />}
        {report && accountId && !bulk && (
          <>
            <OwnedBulks report={report} csv={reportsApi.partnerCsvUrl(accountId, "bulks", params)} onPick={setBulk} />
            <ReportView report={report} csv={(t) => reportsApi.partnerCsvUrl(accountId, t, params)} />
          </>
        )}
        {bulk && bulkQ.data && <ReportView report={bulkQ.data} csv={(t) => reportsApi.bulkCsvUrl(bulk, t, params)} />}
      </Stack>
    </>
  );
}

/** One bulk entitlement of the chain, its end customers (collapsed) and, indented, the bulk entitlements split from it. */
function ChainNodeView({ node, kids, focus }: { node: ChainNode; kids: Map<string, ChainNode[]>; focus: string }) {
  const [open, { toggle }] = useDisclosure(false);
  const children = kids.get(node.id) ?? [];
  const customers = node.customers.length + node.moreCustomers.customers;
  const share = node.keys ? (node.redeemed / node.keys) * 100 : 0;
  return (
    <Box>
      <Paper
        withBorder
        p="sm"
        radius="md"
        data-testid="chain-node"
        style={node.id === focus ? { borderColor: "var(--mantine-color-indigo-5)", borderWidth: 2 } : undefined}
      >
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Group gap="xs" wrap="wrap">
            <Anchor component={Link} to={`/entitlements/${node.id}`} fw={600} ff="monospace">
              {node.entitlementId}
            </Anchor>
            <Text size="sm">{node.accountName ?? node.accountId ?? "No owner"}</Text>
            {node.tier && (
              <Badge variant="light" size="sm">
                {node.tier}
              </Badge>
            )}
            {node.state !== "DEPLOYED" && (
              <Badge variant="outline" color="gray" size="sm">
                {node.state}
              </Badge>
            )}
          </Group>
          <Group gap="md">
            <Text size="sm">
              <b>{fmt(node.keys)}</b> keys
            </Text>
            <Text size="sm" c="teal.7">
              <b>{fmt(node.redeemed)}</b> redeemed
            </Text>
            <Text size="sm" c="orange.7">
              <b>{fmt(node.unredeemed)}</b> unredeemed
            </Text>
          </Group>
        </Group>
        <Progress value={share} size="xs" mt={6} color="teal" aria-label={`${Math.round(share)}% redeemed`} />
        {customers > 0 && (
          <>
            <Button
              variant="subtle"
              size="compact-xs"
              mt={4}
              onClick={toggle}
              leftSection={open ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
            >
              {fmt(customers)} end customer{customers === 1 ? "" : "s"}
            </Button>
            {/* Rendered only when opened: a chain may hold hundreds of customers. */}
            {open && (
              <Table
                withRowBorders={false}
                verticalSpacing={2}
                fz="sm"
                maw={480}
                aria-label={`End customers of ${node.entitlementId}`}
              >
                <Table.Tbody>
                  {node.customers.map((c) => (
                    <Table.Tr key={c.accountId ?? "-"}>
                      <Table.Td>{c.accountName}</Table.Td>
                      <Table.Td ta="right">{fmt(c.redeemed)}</Table.Td>
                    </Table.Tr>
                  ))}
                  {node.moreCustomers.customers > 0 && (
                    <Table.Tr>
                      <Table.Td c="dimmed">and {fmt(node.moreCustomers.customers)} more</Table.Td>
                      <Table.Td ta="right" c="dimmed">
                        {fmt(node.moreCustomers.redeemed)}
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Table.Tbody>
              </Table>
            )}
          </>
        )}
      </Paper>
      {children.length > 0 && (
        <Stack gap="xs" mt="xs" pl="lg" ml="sm" style={{ borderLeft: "2px solid var(--mantine-color-gray-3)" }}>
          {children.map((c) => (
            <ChainNodeView key={c.id} node={c} kids={kids} focus={focus} />
          ))}
        </Stack>
      )}
    </Box>
  );
}

/** Producer staff: the whole chain of a bulk entitlement, from distributor to resellers to end customers. */
export function ChainPage() {
  const { id = "" } = useParams();
  const { data, error, isLoading } = useQuery({ queryKey: ["reports", "chain", id], queryFn: () => reportsApi.chain(id) });
  const kids = useMemo(() => {
    const m = new Map<string, ChainNode[]>();
    for (const n of data?.nodes ?? []) {
      if (!n.parentId) continue;
      m.set(n.parentId, [...(m.get(n.parentId) ?? []), n]);
    }
    return m;
  }, [data]);
  const root = data?.nodes[0];
  return (
    <>
      <PageHeader
        title="Chain"
        tabTitle={root ? `Chain of ${root.entitlementId}` : "Chain"}
        crumbs={[
          { label: "Entitlements", to: "/entitlements" },
          { label: "Entitlement", to: `/entitlements/${id}` },
        ]}
        description="Every bulk entitlement split from the root, with its keys and the end customers who redeemed them."
        actions={
          <Group gap="xs">
            <Button component={Link} to={`/reports?bulk=${encodeURIComponent(id)}`} variant="light">
              Report
            </Button>
            <CsvButton href={reportsApi.chainCsvUrl(id)} label="CSV" />
          </Group>
        }
      />
      {error ? <LoadError error={error} /> : null}
      {isLoading && <Loader aria-label="Loading chain" />}
      {data && root && (
        <Stack gap="xs">
          <Text size="sm" c="dimmed">
            {data.nodes.length} bulk entitlement{data.nodes.length === 1 ? "" : "s"} in the chain; the one you came from is
            outlined.
          </Text>
          <ChainNodeView node={root} kids={kids} focus={data.focus} />
        </Stack>
      )}
    </>
  );
}
