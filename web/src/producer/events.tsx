import { Anchor, Badge, Code, Group, Select, Stack, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { EVENT_TYPES } from "../../../common/src/enums";
import { type DomainEvent, eventKeys, eventsApi } from "../api/events";
import { DataTable, usePagedList } from "../components/DataTable";
import { PageHeader } from "../components/Page";
import { formatDateTime } from "../lib/format";

/** The type filter: every type, and each subject's `subject.*` (the API takes both). */
const SUBJECTS = [...new Set(EVENT_TYPES.map((t) => t.split(".")[0] as string))];
const TYPE_OPTIONS = [
  { group: "All of a subject", items: SUBJECTS.map((s) => ({ value: `${s}.*`, label: `${s}.*` })) },
  { group: "One type", items: EVENT_TYPES.map((t) => ({ value: t, label: t })) },
];

const COLORS: Record<string, string> = {
  entitlement: "blue",
  line_item: "cyan",
  key: "grape",
  fulfillment: "teal",
  account: "orange",
  job: "gray",
  webhook: "pink",
};

function Payload({ e }: { e: DomainEvent }) {
  return (
    <Stack gap="xs" py={4}>
      <Code block style={{ maxHeight: 420, overflow: "auto" }}>
        {JSON.stringify(e.data, null, 2)}
      </Code>
      <Group gap="lg">
        <Text size="xs" c="dimmed">
          Event {e.id}
        </Text>
        {e.requestId && (
          <Text size="xs" c="dimmed">
            Request {e.requestId}
          </Text>
        )}
        {e.accountId && (
          <Text size="xs" c="dimmed">
            Account {e.accountId}
          </Text>
        )}
      </Group>
    </Stack>
  );
}

/**
 * Domain events (issue 17), newest first, each row expandable to its JSON payload: what webhooks
 * deliver and integrations poll (GET /api/v1/events, docs/EVENTS.md).
 */
export function EventsPage() {
  const [params] = useSearchParams();
  const [type, setType] = useState<string | null>(params.get("type"));
  const [entitlementId, setEntitlementId] = useState(params.get("entitlementId") ?? "");
  const [dEntitlementId] = useDebouncedValue(entitlementId.trim(), 300);
  const list = usePagedList(eventKeys.events, eventsApi.newest, {
    type: type ?? undefined,
    entitlementId: dEntitlementId || undefined,
  });
  return (
    <>
      <PageHeader
        title="Events"
        description="What happened to entitlements, keys, licenses, accounts and jobs, newest first: what webhooks deliver and integrations poll. Click a row to see its payload."
      />
      <DataTable
        what="the events"
        list={list}
        filters={
          <>
            <Select
              label="Type"
              placeholder="Any"
              clearable
              searchable
              data={TYPE_OPTIONS}
              value={type}
              onChange={setType}
              w={240}
            />
            <TextInput
              label="Entitlement"
              placeholder="Licensor id of the entitlement"
              value={entitlementId}
              onChange={(e) => setEntitlementId(e.currentTarget.value)}
              w={300}
            />
          </>
        }
        rowKey={(e) => e.id}
        renderExpanded={(e) => <Payload e={e} />}
        emptyText="No events match these filters."
        columns={[
          {
            key: "at",
            header: "When",
            width: 170,
            render: (e) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                {formatDateTime(e.occurredAt)}
              </Text>
            ),
          },
          {
            key: "type",
            header: "Type",
            render: (e) => (
              <Badge variant="light" radius="sm" color={COLORS[e.type.split(".")[0] as string] ?? "gray"} tt="none">
                {e.type}
              </Badge>
            ),
          },
          {
            key: "subject",
            header: "Subject",
            render: (e) => (
              <Stack gap={0}>
                <Text size="xs" c="dimmed">
                  {e.subject.type}
                </Text>
                <Text size="sm" style={{ wordBreak: "break-all" }}>
                  {e.subject.id}
                </Text>
              </Stack>
            ),
          },
          {
            key: "entitlement",
            header: "Entitlement",
            render: (e) =>
              e.entitlementId ? (
                <Anchor
                  component={Link}
                  to={`/entitlements/${encodeURIComponent(e.entitlementId)}`}
                  size="sm"
                  onClick={(ev) => ev.stopPropagation()}
                  style={{ wordBreak: "break-all" }}
                >
                  {e.entitlementId}
                </Anchor>
              ) : (
                <Text size="sm" c="dimmed">
                  —
                </Text>
              ),
          },
        ]}
      />
    </>
  );
}
