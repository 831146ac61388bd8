import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  CopyButton,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconCopy, IconEye, IconPlus, IconRefresh, IconSend } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Page } from "../../../common/src/api/shared";
import type {
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEndpoint,
  WebhookEndpointCreateBody,
  WebhookEndpointWithSecret,
} from "../../../common/src/api/webhooks";
import { EVENT_SUBJECTS, SUBSCRIBABLE_EVENT_TYPES } from "../../../common/src/rules/webhooks";
import { api, errorMessage, type QueryParams, seg } from "../api/client";
import { usePermissions } from "../auth/session";
import { DataTable, usePagedList } from "../components/DataTable";
import { ConfirmButton } from "../components/Dialogs";
import { FormAlert } from "../components/FormErrors";
import { formatDateTime } from "../lib/format";

/** The calls of this page (the webhook endpoints and their delivery log). */
const webhooksApi = {
  list: (q: QueryParams) => api.get<Page<WebhookEndpoint>>("/webhook-endpoints", q),
  create: (b: WebhookEndpointCreateBody) => api.post<WebhookEndpointWithSecret>("/webhook-endpoints", b),
  update: (id: string, b: Partial<WebhookEndpointCreateBody>) => api.patch<WebhookEndpoint>(`/webhook-endpoints/${seg(id)}`, b),
  remove: (id: string) => api.del(`/webhook-endpoints/${seg(id)}`),
  reveal: (id: string) => api.post<WebhookEndpointWithSecret>(`/webhook-endpoints/${seg(id)}/reveal-secret`),
  rotate: (id: string) => api.post<WebhookEndpointWithSecret>(`/webhook-endpoints/${seg(id)}/rotate-secret`),
  test: (id: string) => api.post<WebhookDelivery>(`/webhook-endpoints/${seg(id)}/test`),
  deliveries: (id: string) => (q: QueryParams) => api.get<Page<WebhookDelivery>>(`/webhook-endpoints/${seg(id)}/deliveries`, q),
  delivery: (id: string) => api.get<WebhookDeliveryDetail>(`/webhook-deliveries/${seg(id)}`),
  redeliver: (id: string) => api.post<WebhookDelivery>(`/webhook-deliveries/${seg(id)}/redeliver`),
};
const KEY = ["webhook-endpoints"] as const;
const POLL_MS = 2000;

const DELIVERY_COLORS: Record<WebhookDelivery["status"], string> = { PENDING: "blue", SUCCEEDED: "green", FAILED: "red" };

function EndpointStatus({ e }: { e: WebhookEndpoint }) {
  if (!e.enabled) return <Badge color="gray">Disabled</Badge>;
  if (e.deliveries.failed > 0) return <Badge color="red">{e.deliveries.failed} failed</Badge>;
  if (e.deliveries.pending > 0) return <Badge color="blue">{e.deliveries.pending} pending</Badge>;
  return <Badge color="green">Enabled</Badge>;
}

/** Settings > Webhooks: where Licensor POSTs signed events, each endpoint's secret, and its delivery log. */
export function WebhooksTab() {
  const perms = usePermissions();
  const qc = useQueryClient();
  const [editing, setEditing] = useState<WebhookEndpoint | "new" | null>(null);
  const [secret, setSecret] = useState<{ title: string; value: string } | null>(null);
  const [open, setOpen] = useState<WebhookEndpoint | null>(null);
  const list = usePagedList(
    KEY,
    webhooksApi.list,
    {},
    {
      refetchInterval: (p) => (p?.items.some((e) => e.deliveries.pending > 0) ? POLL_MS : false),
    },
  );
  const refresh = () => qc.invalidateQueries({ queryKey: KEY });
  const act = async (what: string, f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      notifications.show({ color: "red", title: what, message: errorMessage(e) });
    }
  };
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Text size="sm" c="dimmed" maw={720}>
          Licensor POSTs each event your systems subscribe to (entitlements, keys, fulfillments, accounts, jobs) to these URLs,
          signed per Standard Webhooks (headers <Code>webhook-id</Code>, <Code>webhook-timestamp</Code>,{" "}
          <Code>webhook-signature</Code>). Failed deliveries are retried with backoff for 24 hours, in order per entitlement.
        </Text>
        {perms.isProducerAdmin && (
          <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing("new")}>
            Add endpoint
          </Button>
        )}
      </Group>
      <DataTable
        what="webhook endpoints"
        list={list}
        rowKey={(e) => e.id}
        onRowClick={(e) => setOpen(e)}
        emptyText="No webhook endpoints yet."
        columns={[
          {
            key: "url",
            header: "URL",
            render: (e) => (
              <Stack gap={0}>
                <Text size="sm" ff="monospace" style={{ wordBreak: "break-all" }}>
                  {e.url}
                </Text>
                {e.description && (
                  <Text size="xs" c="dimmed">
                    {e.description}
                  </Text>
                )}
              </Stack>
            ),
          },
          { key: "events", header: "Events", render: (e) => <Text size="xs">{e.eventTypes.join(", ")}</Text> },
          { key: "status", header: "Status", render: (e) => <EndpointStatus e={e} /> },
          { key: "ok", header: "Delivered", render: (e) => e.deliveries.succeeded },
          {
            key: "actions",
            header: "",
            align: "right",
            render: (e) =>
              perms.isProducerAdmin && (
                <Group gap={4} justify="flex-end" wrap="nowrap" onClick={(ev) => ev.stopPropagation()}>
                  <Button size="compact-xs" variant="subtle" onClick={() => setEditing(e)}>
                    Edit
                  </Button>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    leftSection={<IconSend size={14} />}
                    onClick={() =>
                      act("Test event", async () => {
                        await webhooksApi.test(e.id);
                        notifications.show({ color: "green", message: "Test event queued: see the delivery log." });
                        refresh();
                      })
                    }
                  >
                    Send test event
                  </Button>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    leftSection={<IconEye size={14} />}
                    onClick={() =>
                      act("Secret", async () =>
                        setSecret({ title: "Signing secret", value: (await webhooksApi.reveal(e.id)).secret }),
                      )
                    }
                  >
                    Secret
                  </Button>
                  <ConfirmButton
                    size="compact-xs"
                    variant="subtle"
                    color="orange"
                    title="Rotate the signing secret"
                    message="Deliveries from now on are signed with a new secret; receivers verifying with the old one refuse them until updated."
                    confirmLabel="Rotate secret"
                    onConfirm={async () =>
                      setSecret({ title: "New signing secret", value: (await webhooksApi.rotate(e.id)).secret })
                    }
                  >
                    Rotate
                  </ConfirmButton>
                  <ConfirmButton
                    size="compact-xs"
                    variant="subtle"
                    title="Delete webhook endpoint"
                    message={`Delete ${e.url} and its delivery log? Nothing more is sent to it.`}
                    confirmLabel="Delete endpoint"
                    onConfirm={async () => {
                      await webhooksApi.remove(e.id);
                      refresh();
                    }}
                  >
                    Delete
                  </ConfirmButton>
                </Group>
              ),
          },
        ]}
      />
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === "new" ? "Add webhook endpoint" : "Edit webhook endpoint"}
        size="lg"
      >
        {editing !== null && (
          <EndpointForm
            endpoint={editing === "new" ? null : editing}
            onDone={(created) => {
              setEditing(null);
              refresh();
              if (created) setSecret({ title: "Signing secret of the new endpoint", value: created.secret });
            }}
          />
        )}
      </Modal>
      <Modal opened={secret !== null} onClose={() => setSecret(null)} title={secret?.title} size="lg">
        {secret && (
          <Stack>
            <Text size="sm">Receivers verify each delivery's signature with this secret (any Standard Webhooks library).</Text>
            <Group wrap="nowrap" gap="xs">
              <Code block style={{ flex: 1, wordBreak: "break-all", whiteSpace: "pre-wrap" }} data-testid="webhook-secret">
                {secret.value}
              </Code>
              <CopyButton value={secret.value}>
                {({ copied, copy }) => (
                  <Button variant="light" leftSection={<IconCopy size={16} />} onClick={copy}>
                    {copied ? "Copied" : "Copy"}
                  </Button>
                )}
              </CopyButton>
            </Group>
          </Stack>
        )}
      </Modal>
      <Modal opened={open !== null} onClose={() => setOpen(null)} title="Delivery log" size="80%">
        {open && <DeliveryLog endpoint={open} canRedeliver={perms.isProducerAdmin} />}
      </Modal>
    </Stack>
  );
}

/** Create or edit: URL, description, events by subject (or all), enabled. */
function EndpointForm({
  endpoint,
  onDone,
}: {
  endpoint: WebhookEndpoint | null;
  onDone: (created: WebhookEndpointWithSecret | null) => void;
}) {
  const [url, setUrl] = useState(endpoint?.url ?? "https://");
  const [description, setDescription] = useState(endpoint?.description ?? "");
  const [types, setTypes] = useState<string[]>(endpoint?.eventTypes ?? ["*"]);
  const [enabled, setEnabled] = useState(endpoint?.enabled ?? true);
  const all = types.includes("*");
  const save = useMutation({
    mutationFn: async () => {
      const body = { url: url.trim(), description: description.trim() || null, eventTypes: types, enabled };
      if (endpoint) {
        await webhooksApi.update(endpoint.id, body);
        return null;
      }
      return webhooksApi.create(body);
    },
    onSuccess: (created) => onDone(created),
  });
  const has = (t: string) => all || types.includes(t) || types.includes(`${t.slice(0, t.indexOf("."))}.*`);
  const toggle = (t: string, on: boolean) => {
    const subject = t.slice(0, t.indexOf("."));
    // Expand "subject.*" to its types before taking one out.
    let next = types.includes(`${subject}.*`)
      ? [...types.filter((x) => x !== `${subject}.*`), ...SUBSCRIBABLE_EVENT_TYPES.filter((x) => x.startsWith(`${subject}.`))]
      : [...types];
    next = on ? [...new Set([...next, t])] : next.filter((x) => x !== t);
    setTypes(next);
  };
  const toggleSubject = (subject: string, on: boolean) => {
    const rest = types.filter((x) => !x.startsWith(`${subject}.`));
    setTypes(on ? [...rest, `${subject}.*`] : rest);
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Stack>
        <FormAlert error={save.error ? errorMessage(save.error) : null} />
        <TextInput
          label="URL"
          required
          value={url}
          onChange={(e) => setUrl(e.currentTarget.value)}
          description="Where Licensor POSTs the events (https:// in production)."
          data-autofocus
        />
        <Textarea label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} autosize />
        <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <Checkbox
          label="All events, including types added later"
          checked={all}
          onChange={(e) => setTypes(e.currentTarget.checked ? ["*"] : [])}
        />
        {!all && (
          <SimpleGrid cols={3} spacing="md">
            {EVENT_SUBJECTS.map((subject) => (
              <Stack key={subject} gap={4}>
                <Checkbox
                  fw={600}
                  label={`${subject}.*`}
                  checked={types.includes(`${subject}.*`)}
                  onChange={(e) => toggleSubject(subject, e.currentTarget.checked)}
                />
                {SUBSCRIBABLE_EVENT_TYPES.filter((t) => t.startsWith(`${subject}.`)).map((t) => (
                  <Checkbox
                    key={t}
                    ml="md"
                    size="xs"
                    label={t}
                    checked={has(t)}
                    onChange={(e) => toggle(t, e.currentTarget.checked)}
                  />
                ))}
              </Stack>
            ))}
          </SimpleGrid>
        )}
        {types.length === 0 && (
          <Alert color="yellow" variant="light">
            Choose at least one event.
          </Alert>
        )}
        <Group justify="flex-end">
          <Button type="submit" loading={save.isPending} disabled={types.length === 0}>
            {endpoint ? "Save" : "Add endpoint"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** One endpoint's deliveries, newest first: time, event, status code, attempts, next retry; Redeliver. */
function DeliveryLog({ endpoint, canRedeliver }: { endpoint: WebhookEndpoint; canRedeliver: boolean }) {
  const qc = useQueryClient();
  const [status, setStatus] = useState<string | null>(null);
  const [detail, setDetail] = useState<WebhookDeliveryDetail | null>(null);
  const list = usePagedList(
    [...KEY, endpoint.id, "deliveries"],
    webhooksApi.deliveries(endpoint.id),
    { status },
    {
      refetchInterval: (p) => (p?.items.some((d) => d.status === "PENDING") ? POLL_MS : false),
    },
  );
  const redeliver = async (d: WebhookDelivery) => {
    try {
      await webhooksApi.redeliver(d.id);
      notifications.show({ color: "green", message: "Redelivery queued." });
      qc.invalidateQueries({ queryKey: KEY });
    } catch (e) {
      notifications.show({ color: "red", title: "Redeliver", message: errorMessage(e) });
    }
  };
  return (
    <Stack>
      <Text size="sm" ff="monospace">
        {endpoint.url}
      </Text>
      <DataTable
        what="deliveries"
        list={list}
        rowKey={(d) => d.id}
        onRowClick={async (d) => setDetail(await webhooksApi.delivery(d.id))}
        emptyText="No deliveries yet."
        filters={
          <Select
            label="Status"
            placeholder="Any status"
            clearable
            data={["PENDING", "SUCCEEDED", "FAILED"]}
            value={status}
            onChange={setStatus}
            w={180}
          />
        }
        columns={[
          { key: "time", header: "Time", render: (d) => formatDateTime(d.createdAt) },
          { key: "type", header: "Event", render: (d) => <Text size="sm">{d.eventType}</Text> },
          {
            key: "status",
            header: "Status",
            render: (d) => (
              <Badge color={DELIVERY_COLORS[d.status]} variant="light">
                {d.status}
              </Badge>
            ),
          },
          { key: "code", header: "Response", render: (d) => d.lastStatusCode ?? (d.lastError ? "—" : "") },
          { key: "attempts", header: "Attempts", render: (d) => d.attempts },
          {
            key: "next",
            header: "Next retry",
            render: (d) => (d.status === "PENDING" && d.attempts > 0 ? formatDateTime(d.nextAttemptAt) : ""),
          },
          {
            key: "actions",
            header: "",
            align: "right",
            render: (d) =>
              canRedeliver && (
                <Button
                  size="compact-xs"
                  variant="subtle"
                  leftSection={<IconRefresh size={14} />}
                  onClick={(ev) => {
                    ev.stopPropagation();
                    redeliver(d);
                  }}
                >
                  Redeliver
                </Button>
              ),
          },
        ]}
      />
      {detail && (
        <Stack gap="xs">
          <Title order={5}>
            Attempts of {detail.eventType} <Code>{detail.eventId}</Code>
          </Title>
          {detail.attemptLog.length === 0 && <Text size="sm">Not attempted yet.</Text>}
          {detail.attemptLog.map((a) => (
            <Group key={a.attemptedAt} gap="sm" wrap="nowrap" align="flex-start">
              <Text size="xs" w={170}>
                {formatDateTime(a.attemptedAt)}
              </Text>
              <Badge size="sm" variant="light" color={a.statusCode && a.statusCode < 300 ? "green" : "red"}>
                {a.statusCode ?? "no answer"}
              </Badge>
              <Text size="xs">{a.trigger}</Text>
              <Text size="xs">{a.durationMs} ms</Text>
              <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>
                {a.error ?? a.responseSnippet ?? ""}
              </Text>
            </Group>
          ))}
        </Stack>
      )}
    </Stack>
  );
}
