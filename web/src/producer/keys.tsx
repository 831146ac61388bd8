import { Alert, Anchor, Box, Button, Text } from "@mantine/core";
import { IconInfoCircle, IconPlus } from "@tabler/icons-react";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { Entitlement } from "../../../common/src/api/entitlements";
import { entitlementsApi, keys } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { DataTable, usePagedList } from "../components/DataTable";
import { PageHeader, StateBadge } from "../components/Page";
import { PublicUrlWarning } from "../components/PublicUrlWarning";
import { formatCount } from "../lib/format";
import { ENTITLEMENT_ROUTES, entitlementPath, productNamesOf } from "./entitlements/model";
import { useKeyCounts } from "./entitlements/WebRegisterKeys";

const keysTab = (id: string) => `${entitlementPath(id)}?tab=keys`;

/** One of a bulk entitlement's key counts (the three cells of a row share one request). */
function KeyCountCell({ id, field }: { id: string; field: "total" | "redeemed" | "unredeemed" }) {
  const { data, error } = useKeyCounts(id);
  if (error)
    return (
      <Text size="sm" c="dimmed" title="Could not load the counts">
        —
      </Text>
    );
  return (
    <Text size="sm" data-testid={`key-${field}`}>
      {data ? formatCount(data[field]) : "…"}
    </Text>
  );
}

/** Keys: web register keys live on bulk entitlements; this lists them with their key counts. */
export function KeysPage() {
  const perms = usePermissions();
  const navigate = useNavigate();
  const [q, setQ] = useState("");
  const list = usePagedList<Entitlement>(keys.entitlements, entitlementsApi.list, { kind: "BULK", q }, { pageSize: 50 });
  return (
    <>
      <PageHeader
        title="Keys"
        description="Web register keys: what channel partners hand out and end users redeem for an entitlement of their own."
        actions={
          perms.isProducerWriter && (
            <Button component={Link} to={ENTITLEMENT_ROUTES.createBulk} leftSection={<IconPlus size={16} />}>
              Create Bulk
            </Button>
          )
        }
      />
      <PublicUrlWarning mb="md" />
      <Alert variant="light" color="indigo" icon={<IconInfoCircle size={18} />} mb="md">
        Keys live on bulk entitlements: every key belongs to exactly one. Open a bulk entitlement's <b>Web register keys</b> tab
        to load a key file, generate or add keys, export them as CSV, print key cards, or delete unredeemed ones. Large loads run
        as background jobs, listed under{" "}
        <Anchor component={Link} to="/jobs" size="sm">
          Jobs
        </Anchor>
        .
      </Alert>
      <DataTable
        what="the bulk entitlements"
        list={list}
        rowKey={(e) => e.id}
        onRowClick={(e) => navigate(keysTab(e.id))}
        search={{ onSearch: setQ, placeholder: "Search IDs, accounts, orders, products" }}
        emptyText={q ? "No bulk entitlement matches this search." : "No bulk entitlements yet: create one to hold keys."}
        columns={[
          {
            key: "id",
            header: "Bulk entitlement",
            render: (e) => (
              <Anchor
                component={Link}
                to={keysTab(e.id)}
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
            render: (e) => e.channelPartners.find((p) => p.accountId === e.soldTo)?.accountName ?? e.soldTo ?? "—",
          },
          { key: "product", header: "Product", render: (e) => productNamesOf(e).join(", ") || "—" },
          { key: "total", header: "Total", align: "right", render: (e) => <KeyCountCell id={e.id} field="total" /> },
          { key: "redeemed", header: "Redeemed", align: "right", render: (e) => <KeyCountCell id={e.id} field="redeemed" /> },
          {
            key: "unredeemed",
            header: "Unredeemed",
            align: "right",
            render: (e) => <KeyCountCell id={e.id} field="unredeemed" />,
          },
        ]}
      />
    </>
  );
}
