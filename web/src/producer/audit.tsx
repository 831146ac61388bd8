import { Anchor, Badge, Box, Code, Group, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import type { AuditEvent } from "../../../common/src/api/audit";
import { auditApi, keys } from "../api/endpoints";
import { DataTable, usePagedList } from "../components/DataTable";
import { PageHeader } from "../components/Page";
import { formatDateTime, formatValue } from "../lib/format";

const OBJECT_TYPES = [
  { value: "account", label: "Account" },
  { value: "user", label: "User" },
  { value: "product", label: "Product" },
  { value: "licenseModel", label: "License model" },
  { value: "partNumber", label: "Part number" },
  { value: "partnerTier", label: "Partner tier" },
  { value: "token", label: "API token" },
];

const OBJECT_ROUTES: Record<string, string> = {
  account: "/accounts",
  user: "/users",
  product: "/products",
  licenseModel: "/license-models",
  partNumber: "/part-numbers",
};

function ObjectRef({ e }: { e: AuditEvent }) {
  const base = OBJECT_ROUTES[e.objectType];
  const label = OBJECT_TYPES.find((t) => t.value === e.objectType)?.label ?? e.objectType;
  const deleted = e.action.endsWith(".deleted");
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      {base && !deleted ? (
        <Anchor
          component={Link}
          to={`${base}/${encodeURIComponent(e.objectId)}`}
          size="sm"
          onClick={(ev) => ev.stopPropagation()}
          style={{ wordBreak: "break-all" }}
        >
          {e.objectId}
        </Anchor>
      ) : (
        <Text size="sm" style={{ wordBreak: "break-all" }}>
          {e.objectId}
        </Text>
      )}
    </Stack>
  );
}

function Changes({ e }: { e: AuditEvent }) {
  const entries = Object.entries(e.changes ?? {});
  return (
    <Stack gap="xs" py={4}>
      {entries.length === 0 ? (
        <Text size="sm" c="dimmed">
          No field changes recorded for this event.
        </Text>
      ) : (
        <Table fz="xs" verticalSpacing={4} withTableBorder withColumnBorders bg="white">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={180}>Field</Table.Th>
              <Table.Th>Before</Table.Th>
              <Table.Th>After</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map(([field, c]) => (
              <Table.Tr key={field}>
                <Table.Td>
                  <Code>{field}</Code>
                </Table.Td>
                <Table.Td c="red.8" style={{ wordBreak: "break-word" }}>
                  {formatValue(c.before)}
                </Table.Td>
                <Table.Td c="green.8" style={{ wordBreak: "break-word" }}>
                  {formatValue(c.after)}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Group gap="lg">
        <Text size="xs" c="dimmed">
          Event {e.id}
        </Text>
        {e.requestId && (
          <Text size="xs" c="dimmed">
            Request {e.requestId}
          </Text>
        )}
        {e.ip && (
          <Text size="xs" c="dimmed">
            From {e.ip}
          </Text>
        )}
      </Group>
    </Stack>
  );
}

export function AuditPage() {
  const [params] = useSearchParams();
  const [q, setQ] = useState("");
  const [objectType, setObjectType] = useState<string | null>(params.get("objectType"));
  const [objectId, setObjectId] = useState(params.get("objectId") ?? "");
  const [action, setAction] = useState("");
  const [actor, setActor] = useState("");
  const [dateOp, setDateOp] = useState<string | null>("AFTER");
  const [via, setVia] = useState<string | null>(null);
  const [date, setDate] = useState("");
  // Debounce one string (an object would be a new value on every render).
  const [textKey] = useDebouncedValue(JSON.stringify([objectId.trim(), action.trim(), actor.trim()]), 300);
  const [dObjectId, dAction, dActor] = JSON.parse(textKey) as [string, string, string];
  const validDate = /^\d{4}-\d{2}-\d{2}$/.test(date);
  const list = usePagedList(keys.audit, auditApi.list, {
    q,
    objectType,
    objectId: dObjectId || undefined,
    action: dAction ? `CONTAINS:${dAction}` : undefined,
    actor: dActor ? `CONTAINS:${dActor}` : undefined,
    at: validDate && dateOp ? `${dateOp}:${date}` : undefined,
    interface: via ?? undefined,
  });
  return (
    <>
      <PageHeader title="Audit" description="Who changed what, and when. Newest first; click a row to see the changed fields." />
      <DataTable
        what="the audit log"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search object ID, action or who" }}
        filters={
          <>
            <Select
              label="Object type"
              placeholder="Any"
              clearable
              data={OBJECT_TYPES}
              value={objectType}
              onChange={setObjectType}
              w={160}
            />
            <TextInput
              label="Object ID"
              placeholder="Exact ID"
              value={objectId}
              onChange={(e) => setObjectId(e.currentTarget.value)}
              w={170}
            />
            <TextInput
              label="Action"
              placeholder="e.g. product.updated"
              value={action}
              onChange={(e) => setAction(e.currentTarget.value)}
              w={170}
            />
            <TextInput label="Who" placeholder="Email" value={actor} onChange={(e) => setActor(e.currentTarget.value)} w={170} />
            <Select
              label="Via"
              placeholder="Any"
              clearable
              data={[
                { value: "REST", label: "API / portal" },
                { value: "SOAP", label: "SOAP (FNO)" },
              ]}
              value={via}
              onChange={setVia}
              w={140}
            />
            <Group gap={4} align="flex-end" wrap="nowrap">
              <Select
                label="Date"
                aria-label="Date operator"
                data={[
                  { value: "AFTER", label: "After" },
                  { value: "BEFORE", label: "Before" },
                  { value: "ON", label: "On" },
                ]}
                allowDeselect={false}
                value={dateOp}
                onChange={setDateOp}
                w={100}
              />
              <TextInput type="date" aria-label="Date" value={date} onChange={(e) => setDate(e.currentTarget.value)} w={150} />
            </Group>
          </>
        }
        rowKey={(e) => e.id}
        renderExpanded={(e) => <Changes e={e} />}
        emptyText="No audit events match these filters."
        columns={[
          {
            key: "at",
            header: "When",
            width: 170,
            render: (e) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                {formatDateTime(e.at)}
              </Text>
            ),
          },
          {
            key: "who",
            header: "Who",
            render: (e) => (
              <Group gap={6} wrap="nowrap">
                <Text size="sm">{e.actor.label ?? e.actor.type}</Text>
                {e.tokenId && (
                  <Badge size="xs" variant="light" color="grape" radius="sm">
                    API token
                  </Badge>
                )}
                {e.interface === "SOAP" && (
                  <Badge size="xs" variant="light" color="orange" radius="sm">
                    via SOAP
                  </Badge>
                )}
              </Group>
            ),
          },
          { key: "action", header: "Action", render: (e) => <Code>{e.action}</Code> },
          { key: "object", header: "Object", render: (e) => <ObjectRef e={e} /> },
          {
            key: "changes",
            header: "Changes",
            render: (e) => {
              const n = Object.keys(e.changes ?? {}).length;
              return (
                <Box>
                  <Text size="sm" c="dimmed">
                    {n === 0 ? "—" : `${n} field${n === 1 ? "" : "s"}`}
                  </Text>
                </Box>
              );
            },
          },
        ]}
      />
    </>
  );
}
