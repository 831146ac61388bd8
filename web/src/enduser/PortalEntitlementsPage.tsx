import { ActionIcon, Alert, Anchor, Box, Button, CopyButton, Group, Loader, Stack, Table, Text, Tooltip } from "@mantine/core";
import { IconCheck, IconCircleCheck, IconCopy, IconInfoCircle, IconKey } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import type { Entitlement, LineItem, ProductConfig } from "../../../common/src/api/entitlements";
import { entitlementsApi, keys } from "../api/endpoints";
import { DataTable, StackOnPhone, usePagedList } from "../components/DataTable";
import { LoadError } from "../components/FormErrors";
import { InfoGrid, PageHeader, Section, StateBadge } from "../components/Page";
import { formatCount, formatDate } from "../lib/format";
import { ActivateDialog, canActivate } from "../licenses/ActivateDialog";
import { licensesPath } from "../licenses/words";
import { configsOf, copiesOf, entitlementExpiryWords, expiryWords, productWords, startWords } from "./entitlementWords";

import { PORTAL_ENTITLEMENTS, PORTAL_REGISTER_KEY, portalEntitlementPath, type RedeemNotice } from "./paths";

export { PORTAL_ENTITLEMENTS, PORTAL_REGISTER_KEY, portalEntitlementPath, type RedeemNotice };

const productNames = (e: Entitlement) => [...new Set(configsOf(e).map(productWords).filter(Boolean))];

/** My Entitlements: what the customer's account holds, with the dates in words. */
export function PortalEntitlementsPage() {
  const navigate = useNavigate();
  const [q, setQ] = useState("");
  const list = usePagedList<Entitlement>([...keys.entitlements, "mine"], entitlementsApi.list, { q: q || undefined });
  return (
    <>
      <PageHeader
        title="My Entitlements"
        description="The software your company is entitled to. Open one to see its activation IDs."
        actions={
          <Button component={Link} to={PORTAL_REGISTER_KEY} leftSection={<IconKey size={16} />}>
            Register a key
          </Button>
        }
      />
      <DataTable
        what="entitlements"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search entitlement or activation IDs, products" }}
        rowKey={(e) => e.id}
        onRowClick={(e) => navigate(portalEntitlementPath(e.id))}
        emptyText={
          q ? (
            "No entitlement matches."
          ) : (
            <>
              No entitlements yet.{" "}
              <Anchor component={Link} to={PORTAL_REGISTER_KEY} size="sm">
                Register a key
              </Anchor>{" "}
              to add one.
            </>
          )
        }
        columns={[
          {
            key: "id",
            header: "Entitlement ID",
            render: (e) => (
              <Anchor
                component={Link}
                to={portalEntitlementPath(e.id)}
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
          {
            key: "products",
            header: "Product(s)",
            render: (e) => productNames(e).join(", ") || "—",
          },
          { key: "copies", header: "Copies", align: "right", render: (e) => formatCount(copiesOf(e).copies) },
          {
            key: "available",
            header: "Available",
            align: "right",
            render: (e) => {
              const a = copiesOf(e).available;
              return a === null ? "—" : formatCount(a);
            },
          },
          {
            key: "expiry",
            header: "Expiry",
            render: (e) => (
              <Stack gap={0}>
                {entitlementExpiryWords(e).map((w) => (
                  <Text key={w} size="sm">
                    {w}
                  </Text>
                ))}
              </Stack>
            ),
          },
          {
            key: "registered",
            header: "Since",
            render: (e) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                {formatDate(e.createdAt)}
              </Text>
            ),
          },
          {
            key: "state",
            header: "State",
            render: (e) => (
              <Box miw={90}>
                <StateBadge state={e.state} />
              </Box>
            ),
          },
        ]}
      />
    </>
  );
}

function CopyActivationId({ value }: { value: string }) {
  return (
    <CopyButton value={value} timeout={1500}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? "Copied" : "Copy activation ID"} withArrow>
          <ActionIcon
            variant="subtle"
            color={copied ? "teal" : "gray"}
            size="sm"
            aria-label={`Copy activation ID ${value}`}
            onClick={(ev) => {
              ev.stopPropagation();
              copy();
            }}
          >
            {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

const isLineItem = (c: LineItem | ProductConfig): c is LineItem => "activationId" in c;

function NoticeAlert({ notice, onClose }: { notice: RedeemNotice; onClose: () => void }) {
  if (notice.kind === "already")
    return (
      <Alert
        color="blue"
        variant="light"
        icon={<IconInfoCircle size={18} />}
        title="You had already registered this key"
        withCloseButton
        onClose={onClose}
        mb="md"
        data-testid="redeem-notice"
      >
        It is entitlement <b>{notice.entitlementId}</b>, shown below. Nothing was changed.
      </Alert>
    );
  return (
    <Alert
      color="green"
      variant="light"
      icon={<IconCircleCheck size={18} />}
      title="Your key is registered."
      withCloseButton
      onClose={onClose}
      mb="md"
      data-testid="redeem-notice"
    >
      Entitlement <b>{notice.entitlementId}</b> is now in My Entitlements. Use its activation ID to activate your software.
    </Alert>
  );
}

/** One entitlement, for its customer: what it includes, the activation IDs, counts and dates. */
export function PortalEntitlementDetailPage() {
  const { id = "" } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const notice = (location.state as { notice?: RedeemNotice } | null)?.notice;
  const [activateItem, setActivateItem] = useState<LineItem | null>(null);
  const {
    data: e,
    error,
    isLoading,
  } = useQuery({
    queryKey: [...keys.entitlements, "detail", id],
    queryFn: () => entitlementsApi.get(id),
  });
  const crumbs = [{ label: "My Entitlements", to: PORTAL_ENTITLEMENTS }];
  if (isLoading) return <Loader />;
  if (error || !e)
    return (
      <>
        <PageHeader title="Entitlement" crumbs={crumbs} />
        <LoadError error={error} what="the entitlement" />
      </>
    );
  const company = e.channelPartners.find((p) => p.accountId === e.soldTo);
  const suppliers = e.channelPartners.filter((p) => p.accountId !== e.soldTo);
  const rows = configsOf(e);
  return (
    <>
      <PageHeader
        title={
          <Text span inherit ff="monospace">
            {e.entitlementId}
          </Text>
        }
        badge={<StateBadge state={e.state} />}
        crumbs={crumbs}
        actions={
          <Button component={Link} to={PORTAL_REGISTER_KEY} variant="default" leftSection={<IconKey size={16} />}>
            Register another key
          </Button>
        }
      />
      {notice && <NoticeAlert notice={notice} onClose={() => navigate(".", { replace: true, state: null })} />}
      <Stack>
        <Section title="Entitlement">
          <InfoGrid
            items={[
              {
                label: "Entitlement ID",
                value: (
                  <Text ff="monospace" size="sm">
                    {e.entitlementId}
                  </Text>
                ),
              },
              { label: "State", value: <StateBadge state={e.state} /> },
              { label: "Company", value: company ? company.accountName : e.soldTo },
              { label: "Supplied by", value: suppliers.map((p) => p.accountName).join(", ") },
              { label: "Since", value: formatDate(e.createdAt) },
              { label: "Order ID", value: e.orderId },
              { label: "Description", value: e.description },
            ]}
          />
        </Section>
        <Section title={e.kind === "BULK" ? "Product" : `Line items (${rows.length})`}>
          {rows.length === 0 ? (
            <Text size="sm" c="dimmed">
              Nothing to activate yet.
            </Text>
          ) : (
            <StackOnPhone minWidth={820}>
              <Table verticalSpacing={8} fz="sm" data-testid="line-items">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Product</Table.Th>
                    {e.kind !== "BULK" && <Table.Th>Activation ID</Table.Th>}
                    <Table.Th style={{ textAlign: "right" }}>Copies</Table.Th>
                    {e.kind !== "BULK" && <Table.Th style={{ textAlign: "right" }}>Available</Table.Th>}
                    <Table.Th>Start</Table.Th>
                    <Table.Th>Expiry</Table.Th>
                    {e.kind !== "BULK" && <Table.Th>State</Table.Th>}
                    {e.kind !== "BULK" && <Table.Th style={{ textAlign: "right" }}>Licensed</Table.Th>}
                    {e.kind !== "BULK" && <Table.Th />}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((c, i) => (
                    <Table.Tr key={isLineItem(c) ? c.id : i}>
                      <Table.Td>
                        <Text size="sm" fw={500}>
                          {productWords(c) || "—"}
                        </Text>
                        {c.licenseModelName && (
                          <Text size="xs" c="dimmed">
                            {c.licenseModelName}
                          </Text>
                        )}
                      </Table.Td>
                      {isLineItem(c) && (
                        <Table.Td>
                          <Group gap={4} wrap="nowrap">
                            <Text size="sm" ff="monospace" style={{ whiteSpace: "nowrap" }} data-testid="activation-id">
                              {c.activationId}
                            </Text>
                            <CopyActivationId value={c.activationId} />
                          </Group>
                        </Table.Td>
                      )}
                      <Table.Td style={{ textAlign: "right" }}>{formatCount(c.numberOfCopies)}</Table.Td>
                      {isLineItem(c) && (
                        <Table.Td style={{ textAlign: "right" }} data-testid="available-count">
                          {formatCount(c.availableCount)}
                        </Table.Td>
                      )}
                      <Table.Td style={{ whiteSpace: "nowrap" }}>{startWords(c)}</Table.Td>
                      <Table.Td>{expiryWords(c)}</Table.Td>
                      {isLineItem(c) && (
                        <Table.Td>
                          <Box miw={90}>
                            <StateBadge state={c.state} />
                          </Box>
                        </Table.Td>
                      )}
                      {isLineItem(c) && (
                        <Table.Td style={{ textAlign: "right" }}>
                          {c.fulfilledCount > 0 ? (
                            <Anchor
                              component={Link}
                              to={licensesPath("enduser", { lineItemId: c.id })}
                              size="sm"
                              title={`Licenses of ${c.activationId}`}
                            >
                              {formatCount(c.fulfilledCount)}
                            </Anchor>
                          ) : (
                            "0"
                          )}
                        </Table.Td>
                      )}
                      {isLineItem(c) && (
                        <Table.Td style={{ textAlign: "right" }}>
                          {canActivate(c) && (
                            <Button
                              size="compact-sm"
                              onClick={() => setActivateItem(c)}
                              aria-label={`Activate ${c.activationId}`}
                            >
                              Activate
                            </Button>
                          )}
                        </Table.Td>
                      )}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </StackOnPhone>
          )}
        </Section>
      </Stack>
      {activateItem && (
        <ActivateDialog lineItem={activateItem} entitlement={e} portal="enduser" onClose={() => setActivateItem(null)} />
      )}
    </>
  );
}
