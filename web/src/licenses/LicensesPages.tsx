import { Anchor, Badge, Box, Button, Group, Loader, Select, Stack, Table, Text, TextInput, Tooltip } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconArrowBackUp, IconDownload, IconFileText, IconFileUpload, IconReplace, IconTool } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { type ReactNode, useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import type { Fulfillment } from "../../../common/src/api/fulfillments";
import { fulfillmentsApi, keys } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { DataTable, StackOnPhone, usePagedList } from "../components/DataTable";
import { LoadError } from "../components/FormErrors";
import { HistoryButton, InfoGrid, PageHeader, Section, StateBadge } from "../components/Page";
import { FULFILLMENT_STATES, FULFILLMENT_TYPES } from "../lib/enums";
import { formatCount, formatDate, formatDateTime, formatValue } from "../lib/format";
import { enumOptions, humanize, MODEL_TYPE_LABELS, TECHNOLOGY_LABELS } from "../lib/labels";
import { EmailLicenseButton } from "./EmailLicense";
import { useIsLicenser } from "./fields";
import { SupportDialog, type SupportKind } from "./SupportDialogs";
import { UploadRequestDialog } from "./UploadRequest";
import {
  extraUsageWords,
  FULFILLMENT_TYPE_LABELS,
  hostTypeLabel,
  hostWords,
  licensePath,
  licensesPath,
  type PortalKind,
  usageWords,
} from "./words";

const typeLabel = (t: string) => FULFILLMENT_TYPE_LABELS[t] ?? humanize(t);

/** The entitlement a license came from, in the portal it is shown in. */
const entitlementLink = (portal: PortalKind, id: string) =>
  portal === "producer" ? `/entitlements/${encodeURIComponent(id)}` : `/portal/entitlements/${encodeURIComponent(id)}`;

/** Filters that arrive in the address (from a line item's "licenses" link): entitlement, line item, activation, account. */
const LINK_FILTERS = ["entitlementId", "lineItemId", "activationId", "accountId"] as const;

/** Host ID search: compared by the server after normalization (EQUALS), reported after a pause in typing. */
function HostIdFilter({ onChange }: { onChange: (v: string) => void }) {
  const [text, setText] = useState("");
  const [debounced] = useDebouncedValue(text.trim(), 300);
  // biome-ignore lint/correctness/useExhaustiveDependencies: report only when the debounced text changes
  useEffect(() => onChange(debounced), [debounced]);
  return (
    <TextInput
      aria-label="Host ID"
      placeholder="Host ID (exact)"
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      w={{ base: "100%", sm: 200 }}
    />
  );
}

/** The licenses (fulfillments) list: the producer's whole list, or a customer's own (the server scopes it). */
export function LicensesListPage({ portal }: { portal: PortalKind }) {
  const navigate = useNavigate();
  const licenser = useIsLicenser();
  const [search, setSearch] = useSearchParams();
  const [q, setQ] = useState("");
  const [state, setState] = useState<string | null>(null);
  const [type, setType] = useState<string | null>(null);
  const [hostId, setHostId] = useState("");
  const [uploading, setUploading] = useState(false);
  const linked = Object.fromEntries(LINK_FILTERS.flatMap((k) => (search.get(k) ? [[k, search.get(k) as string]] : [])));
  const list = usePagedList<Fulfillment>([...keys.fulfillments, portal], fulfillmentsApi.list, {
    q,
    state,
    type,
    hostId: hostId ? `EQUALS:${hostId}` : undefined,
    ...linked,
  });
  const canUpload = portal === "enduser" || licenser;
  return (
    <>
      <PageHeader
        title={portal === "producer" ? "Licenses" : "My licenses"}
        description={
          portal === "producer"
            ? "Every license generated from a line item (a fulfillment): its host(s), count and state. Open one to download it, or to return, rehost or repair it."
            : "The licenses your company generated from its entitlements. Open one to download it again or return it."
        }
        actions={
          canUpload && (
            <Button variant="default" leftSection={<IconFileUpload size={16} />} onClick={() => setUploading(true)}>
              Upload activation request
            </Button>
          )
        }
      />
      {Object.keys(linked).length > 0 && (
        <Group gap="xs" mb="sm">
          <Text size="sm" c="dimmed">
            Showing only:
          </Text>
          {Object.entries(linked).map(([k, v]) => (
            <Badge key={k} variant="light" radius="sm" tt="none">
              {humanize(k.replace(/Id$/, "").replace(/([A-Z])/g, "_$1"))} {v}
            </Badge>
          ))}
          <Anchor size="sm" onClick={() => setSearch({}, { replace: true })}>
            Show all
          </Anchor>
        </Group>
      )}
      <DataTable
        what="the licenses"
        list={list}
        rowKey={(f) => f.id}
        onRowClick={(f) => navigate(licensePath(portal, f.id))}
        search={{ onSearch: setQ, placeholder: "Fulfillment, activation or entitlement ID" }}
        filters={
          <>
            <HostIdFilter onChange={setHostId} />
            <Select
              aria-label="State"
              placeholder="Any state"
              clearable
              w={150}
              data={enumOptions(FULFILLMENT_STATES)}
              value={state}
              onChange={setState}
            />
            <Select
              aria-label="Type"
              placeholder="Any type"
              clearable
              w={160}
              data={enumOptions(FULFILLMENT_TYPES, FULFILLMENT_TYPE_LABELS)}
              value={type}
              onChange={setType}
            />
          </>
        }
        emptyText={
          q || state || type || hostId || Object.keys(linked).length > 0
            ? "No license matches."
            : portal === "producer"
              ? "No licenses yet: activate a line item of an entitlement to generate one."
              : "No licenses yet: open an entitlement in My Entitlements and activate it."
        }
        columns={[
          {
            key: "id",
            header: "Fulfillment / activation ID",
            render: (f) => (
              <>
                <Anchor
                  component={Link}
                  to={licensePath(portal, f.id)}
                  size="sm"
                  fw={500}
                  ff="monospace"
                  style={{ whiteSpace: "nowrap" }}
                  onClick={(ev) => ev.stopPropagation()}
                >
                  {f.id}
                </Anchor>
                <Text size="xs" c="dimmed" ff="monospace" style={{ whiteSpace: "nowrap" }} title="Activation ID">
                  {f.activationId}
                </Text>
              </>
            ),
          },
          {
            key: "product",
            header: "Product",
            render: (f) => (
              <Box miw={130}>
                <Text size="sm">
                  {f.product.name} {f.product.version}
                </Text>
                {portal === "producer" && f.soldTo && (
                  <Text size="xs" c="dimmed">
                    {f.soldTo.name}
                  </Text>
                )}
              </Box>
            ),
          },
          {
            key: "hosts",
            header: "Hosts",
            render: (f) => (
              <Stack gap={2} miw={150}>
                {f.hosts.slice(0, 3).map((h) => (
                  <Box key={`${h.type}:${h.id}`}>
                    {h.type !== "STRING" && (
                      <Text size="xs" c="dimmed" lh={1.2}>
                        {hostTypeLabel(h.type)}
                      </Text>
                    )}
                    <Text size="sm" ff="monospace" lh={1.3} style={{ overflowWrap: "anywhere" }}>
                      {h.id}
                    </Text>
                  </Box>
                ))}
                {f.hosts.length > 3 && (
                  <Text size="xs" c="dimmed">
                    +{f.hosts.length - 3} more
                  </Text>
                )}
              </Stack>
            ),
          },
          { key: "count", header: "Count", align: "right", render: (f) => formatCount(f.count) },
          {
            key: "state",
            header: "State",
            render: (f) => (
              <Box miw={90}>
                <StateBadge state={f.state} />
              </Box>
            ),
          },
          { key: "type", header: "Type", render: (f) => typeLabel(f.type) },
          {
            key: "fulfilledAt",
            header: "Fulfilled",
            render: (f) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }} title={formatDateTime(f.fulfilledAt)}>
                {formatDate(f.fulfilledAt)}
              </Text>
            ),
          },
        ]}
      />
      {uploading && <UploadRequestDialog portal={portal} onClose={() => setUploading(false)} />}
    </>
  );
}

function DownloadButtons({ id }: { id: string }) {
  return (
    <>
      <Button
        component="a"
        href={fulfillmentsApi.licenseUrl(id)}
        download={`${id}.lic`}
        leftSection={<IconDownload size={16} />}
        data-testid="download-license"
      >
        Download license
      </Button>
      <Button
        component="a"
        href={fulfillmentsApi.textUrl(id)}
        download={`${id}.txt`}
        variant="default"
        leftSection={<IconFileText size={16} />}
      >
        Text form
      </Button>
    </>
  );
}

/** One license: every field, the policy used, its chain of reissues, downloads and the support actions. */
export function LicenseDetailPage({ portal }: { portal: PortalKind }) {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const licenser = useIsLicenser();
  const [dialog, setDialog] = useState<SupportKind | null>(null);
  const { data, error, isLoading } = useQuery({
    queryKey: [...keys.fulfillments, "detail", id],
    queryFn: () => fulfillmentsApi.get(id),
  });
  const crumbs = [{ label: portal === "producer" ? "Licenses" : "My licenses", to: licensesPath(portal) }];
  if (isLoading) return <Loader />;
  if (error || !data)
    return (
      <>
        <PageHeader title="License" crumbs={crumbs} />
        <LoadError error={error} what="the license" />
      </>
    );
  const f = data.fulfillment;
  const active = f.state === "ACTIVE";
  const staff = portal === "producer" && licenser;
  // End users return their own licenses and move them to a new machine (within the policy, no
  // override); repair changes license model attributes, which only the producer's staff see.
  const actions: { kind: SupportKind; label: string; icon: ReactNode }[] = [
    { kind: "return", label: "Return", icon: <IconArrowBackUp size={16} /> },
    { kind: "rehost", label: "Rehost", icon: <IconReplace size={16} /> },
    ...(staff ? [{ kind: "repair" as const, label: "Repair", icon: <IconTool size={16} /> }] : []),
  ];
  const canAct = portal === "enduser" || staff;
  return (
    <>
      <PageHeader
        title={
          <Text span inherit ff="monospace">
            {f.id}
          </Text>
        }
        badge={<StateBadge state={f.state} />}
        crumbs={crumbs}
        actions={
          <>
            <DownloadButtons id={f.id} />
            {(portal === "enduser" || licenser) && <EmailLicenseButton fulfillment={f} />}
            {portal === "producer" && <HistoryButton objectType="fulfillment" objectId={f.id} />}
          </>
        }
      />
      <Stack>
        {canAct && (
          <Section title="Support">
            <Stack gap="xs">
              {!active && (
                <Text size="sm" c="dimmed">
                  This license is {f.state.toLowerCase()}: only an active license can be returned
                  {staff ? ", rehosted or repaired" : " or rehosted"}.
                </Text>
              )}
              <Group gap="xs">
                {actions.map((a) => (
                  <Tooltip key={a.kind} label={usageWords(data.usage, `${a.kind}s` as "returns")} withArrow>
                    <Button
                      variant="light"
                      color={a.kind === "return" ? "orange" : undefined}
                      leftSection={a.icon}
                      disabled={!active}
                      onClick={() => setDialog(a.kind)}
                    >
                      {a.label}
                    </Button>
                  </Tooltip>
                ))}
              </Group>
              <Stack gap={2} data-testid="policy-usage">
                {(["returns", "rehosts", ...(staff ? (["repairs"] as const) : [])] as const).map((k) => (
                  <Text key={k} size="sm">
                    {usageWords(data.usage, k)}
                  </Text>
                ))}
                {(data.usage.extraActivations.allowed !== 0 || data.usage.extraActivations.used > 0) && (
                  <Text size="sm" data-testid="extra-usage">
                    {extraUsageWords(data.usage)}
                  </Text>
                )}
              </Stack>
            </Stack>
          </Section>
        )}
        <Section title="License">
          <InfoGrid
            items={[
              {
                label: "Fulfillment ID",
                value: (
                  <Text ff="monospace" size="sm">
                    {f.id}
                  </Text>
                ),
              },
              { label: "State", value: <StateBadge state={f.state} /> },
              { label: "Type", value: typeLabel(f.type) },
              {
                label: "Product",
                value: `${f.product.name} ${f.product.version}`,
              },
              {
                label: "License model",
                value: `${f.licenseModel.name} · ${MODEL_TYPE_LABELS[f.licenseModel.type] ?? humanize(f.licenseModel.type)} · ${TECHNOLOGY_LABELS[f.licenseModel.technology] ?? humanize(f.licenseModel.technology)}`,
              },
              {
                label: "Host IDs",
                value: (
                  <Stack gap={0}>
                    {f.hosts.map((h) => (
                      <Text key={`${h.type}:${h.id}`} size="sm" ff="monospace" data-testid="license-host">
                        {hostWords(h)}
                      </Text>
                    ))}
                  </Stack>
                ),
              },
              { label: "Count", value: formatCount(f.count) },
              { label: "Starts", value: formatDate(f.startDate) },
              { label: "Expires", value: f.expirationDate ? formatDate(f.expirationDate) : "Permanent" },
              { label: "Version date", value: f.versionDate ? formatDate(f.versionDate) : null },
              {
                label: "Entitlement",
                value: (
                  <Anchor component={Link} to={entitlementLink(portal, f.entitlementId)} size="sm" ff="monospace">
                    {f.entitlementId}
                  </Anchor>
                ),
              },
              {
                label: "Activation ID",
                value: (
                  <Anchor
                    component={Link}
                    to={licensesPath(portal, { lineItemId: f.lineItemId })}
                    size="sm"
                    ff="monospace"
                    title="All licenses of this line item"
                  >
                    {f.activationId}
                  </Anchor>
                ),
              },
              { label: "Line item", value: `${humanize(data.lineItemState)} · ${formatCount(data.availableCount)} available` },
              ...(portal === "producer"
                ? [{ label: "Sold to", value: f.soldTo ? `${f.soldTo.name} (${f.soldTo.id})` : null }]
                : []),
              { label: "Ship-to email", value: f.shipToEmail },
              { label: "Ship-to address", value: f.shipToAddress },
              {
                label: "Attributes",
                value:
                  Object.keys(f.attributes).length === 0
                    ? null
                    : Object.entries(f.attributes)
                        .map(([k, v]) => `${k} = ${formatValue(v)}`)
                        .join(", "),
              },
              { label: "Source", value: f.source === "OFFLINE_REQUEST" ? "Offline request file" : "Online" },
              { label: "Fulfilled", value: `${formatDateTime(f.fulfilledAt)}${f.fulfilledBy ? ` by ${f.fulfilledBy}` : ""}` },
              {
                label: "Signing key",
                value: (
                  <Text ff="monospace" size="sm">
                    {f.keyId}
                  </Text>
                ),
              },
              ...(f.overdraftCount > 0
                ? [{ label: "Extra activations", value: `${f.overdraftCount} of its ${f.count} copies` }]
                : []),
              ...(f.reason || f.policyOverridden
                ? [{ label: f.policyOverridden ? "Policy overridden: reason" : "Reason", value: f.reason }]
                : []),
            ]}
          />
        </Section>
        <Section title="History">
          {data.history.length <= 1 ? (
            <Text size="sm" c="dimmed">
              No other license in this chain: it has not been rehosted, repaired or partly returned.
            </Text>
          ) : (
            <StackOnPhone minWidth={700}>
              <Table verticalSpacing={6} fz="sm" data-testid="license-history">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Fulfillment ID</Table.Th>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>State</Table.Th>
                    <Table.Th>Hosts</Table.Th>
                    <Table.Th style={{ textAlign: "right" }}>Count</Table.Th>
                    <Table.Th>Fulfilled</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.history.map((h) => (
                    <Table.Tr key={h.id} bg={h.id === f.id ? "indigo.0" : undefined}>
                      <Table.Td>
                        {h.id === f.id ? (
                          <Text size="sm" ff="monospace" fw={600}>
                            {h.id} (this one)
                          </Text>
                        ) : (
                          <Anchor component={Link} to={licensePath(portal, h.id)} size="sm" ff="monospace">
                            {h.id}
                          </Anchor>
                        )}
                        {h.parentFulfillmentId && (
                          <Text size="xs" c="dimmed">
                            from {h.parentFulfillmentId}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td>{typeLabel(h.type)}</Table.Td>
                      <Table.Td>
                        <StateBadge state={h.state} />
                      </Table.Td>
                      <Table.Td ff="monospace">{h.hosts.map(hostWords).join(", ")}</Table.Td>
                      <Table.Td style={{ textAlign: "right" }}>{formatCount(h.count)}</Table.Td>
                      <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(h.fulfilledAt)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </StackOnPhone>
          )}
        </Section>
      </Stack>
      {dialog && (
        <SupportDialog
          kind={dialog}
          detail={data}
          portal={portal}
          canOverride={staff && perms.isProducerWriter}
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}

export const ProducerLicensesPage = () => <LicensesListPage portal="producer" />;
export const ProducerLicenseDetailPage = () => <LicenseDetailPage portal="producer" />;
export const PortalLicensesPage = () => <LicensesListPage portal="enduser" />;
export const PortalLicenseDetailPage = () => <LicenseDetailPage portal="enduser" />;
