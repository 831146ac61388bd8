import { Alert, Anchor, Badge, Button, Group, Loader, Select, Stack, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconAlertCircle, IconDownload, IconSend } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import type { EmailKind, EmailMessage, EmailStatus } from "../../../common/src/api/email";
import { errorMessage } from "../api/client";
import { emailApi, keys } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { DataTable, usePagedList } from "../components/DataTable";
import { LoadError } from "../components/FormErrors";
import { InfoGrid, PageHeader, Section } from "../components/Page";
import { formatDateTime } from "../lib/format";

const STATUS_LABELS: Record<EmailStatus, { label: string; color: string }> = {
  QUEUED: { label: "Queued", color: "blue" },
  SENDING: { label: "Sending", color: "cyan" },
  SENT: { label: "Sent", color: "green" },
  FAILED: { label: "Failed", color: "red" },
  NOT_SENT_NO_SMTP: { label: "Not sent: no SMTP", color: "orange" },
};
const KIND_LABELS: Record<EmailKind, string> = {
  ENTITLEMENT_CERTIFICATE: "Entitlement certificate",
  LICENSE: "License",
  SPLIT_NOTICE: "Split notice",
  TEST: "Test email",
  PASSWORD_RESET: "Password reset",
  VERIFY_EMAIL: "Email verification",
};
const STATUS_OPTIONS = Object.entries(STATUS_LABELS).map(([value, s]) => ({ value, label: s.label }));
const KIND_OPTIONS = Object.entries(KIND_LABELS).map(([value, label]) => ({ value, label }));
const isPending = (s: EmailStatus) => s === "QUEUED" || s === "SENDING";
const POLL_MS = 2000;

export function EmailStatusBadge({ status }: { status: EmailStatus }) {
  const s = STATUS_LABELS[status];
  return (
    <Badge color={s.color} variant="light" data-testid="email-status">
      {s.label}
    </Badge>
  );
}

const outboxPath = (id: string) => `/outbox/${encodeURIComponent(id)}`;

/** The outbox: every email Licensor sent or would send, newest first, refreshing while some wait. */
export function OutboxListPage() {
  const navigate = useNavigate();
  const [status, setStatus] = useState<string | null>(null);
  const [kind, setKind] = useState<string | null>(null);
  const [q, setQ] = useState("");
  const [debouncedQ] = useDebouncedValue(q.trim(), 300);
  const list = usePagedList<EmailMessage>(
    keys.emailMessages,
    emailApi.list,
    { status, kind, q: debouncedQ || null },
    { refetchInterval: (page) => (page?.items.some((m) => isPending(m.status)) ? POLL_MS : false) },
  );
  return (
    <>
      <PageHeader
        title="Outbox"
        description="Every email: entitlement certificates, licenses and test emails. With no SMTP server configured (Settings → Email) they stay here, not sent, until resent."
      />
      <DataTable
        what="the outbox"
        list={list}
        rowKey={(m) => m.id}
        onRowClick={(m) => navigate(outboxPath(m.id))}
        emptyText={status || kind || debouncedQ ? "No email matches these filters." : "No emails yet."}
        filters={
          <>
            <TextInput
              label="Search"
              placeholder="Recipient or subject"
              value={q}
              onChange={(e) => setQ(e.currentTarget.value)}
              w={240}
            />
            <Select
              label="Status"
              placeholder="Any status"
              clearable
              data={STATUS_OPTIONS}
              value={status}
              onChange={setStatus}
              w={190}
            />
            <Select label="Kind" placeholder="Any kind" clearable data={KIND_OPTIONS} value={kind} onChange={setKind} w={210} />
          </>
        }
        columns={[
          { key: "status", header: "Status", render: (m) => <EmailStatusBadge status={m.status} /> },
          { key: "to", header: "To", render: (m) => <Text size="sm">{m.to.join(", ")}</Text> },
          { key: "subject", header: "Subject", render: (m) => <Text size="sm">{m.subject}</Text> },
          { key: "kind", header: "Kind", render: (m) => KIND_LABELS[m.kind] },
          {
            key: "created",
            header: "Created",
            render: (m) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                {formatDateTime(m.createdAt)}
              </Text>
            ),
          },
        ]}
      />
    </>
  );
}

function objectLink(m: EmailMessage) {
  if (!m.objectId) return null;
  if (m.objectType === "entitlement")
    return (
      <Anchor component={Link} to={`/entitlements/${encodeURIComponent(m.objectId)}`} size="sm">
        Entitlement
      </Anchor>
    );
  return (
    <Text size="sm" ff="monospace">
      {m.objectType}: {m.objectId}
    </Text>
  );
}

/** One email: its text, attachments to download, attempts and last error, and Resend. */
export function OutboxDetailPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: [...keys.emailMessages, id],
    queryFn: () => emailApi.get(id),
    refetchInterval: (query) => (query.state.data && isPending(query.state.data.status) ? POLL_MS : false),
  });
  const resend = useMutation({
    mutationFn: () => emailApi.resend(id),
    onSuccess: () => {
      notifications.show({ color: "green", message: "Queued again." });
      void qc.invalidateQueries({ queryKey: keys.emailMessages });
    },
    onError: (e) => notifications.show({ color: "red", title: "Could not resend", message: errorMessage(e) }),
  });
  const crumbs = [{ label: "Outbox", to: "/outbox" }];
  if (q.isLoading) return <Loader />;
  if (q.error || !q.data)
    return (
      <>
        <PageHeader title="Email" crumbs={crumbs} />
        <LoadError error={q.error} what="the email" />
      </>
    );
  const m = q.data;
  return (
    <>
      <PageHeader
        title={m.subject}
        tabTitle="Email"
        badge={<EmailStatusBadge status={m.status} />}
        crumbs={crumbs}
        actions={
          perms.isProducerWriter && (
            <Button
              leftSection={<IconSend size={16} />}
              variant="light"
              loading={resend.isPending}
              disabled={m.status === "SENDING"}
              onClick={() => resend.mutate()}
            >
              Resend
            </Button>
          )
        }
      />
      <Stack>
        {m.lastError && m.status !== "SENT" && (
          <Alert color={m.status === "FAILED" ? "red" : "orange"} icon={<IconAlertCircle size={18} />} data-testid="email-error">
            {m.lastError}
          </Alert>
        )}
        <Section title="Delivery">
          <InfoGrid
            items={[
              { label: "To", value: m.to.join(", ") },
              { label: "Kind", value: KIND_LABELS[m.kind] },
              { label: "About", value: objectLink(m) },
              { label: "Created", value: `${formatDateTime(m.createdAt)}${m.createdBy ? ` by ${m.createdBy}` : ""}` },
              { label: "Attempts", value: String(m.attempts) },
              { label: "Next attempt", value: formatDateTime(m.nextAttemptAt) },
              { label: "Sent", value: formatDateTime(m.sentAt) },
            ]}
          />
        </Section>
        <Section title="Message">
          <Text component="pre" size="sm" style={{ whiteSpace: "pre-wrap", margin: 0 }} data-testid="email-body">
            {m.bodyText}
          </Text>
        </Section>
        <Section title="Attachments">
          {m.attachments.length === 0 ? (
            <Text size="sm" c="dimmed">
              None.
            </Text>
          ) : (
            <Group>
              {m.attachments.map((a) => (
                <Button
                  key={a.index}
                  component="a"
                  href={emailApi.attachmentUrl(m.id, a.index)}
                  download={a.filename}
                  variant="default"
                  leftSection={<IconDownload size={16} />}
                >
                  {a.filename} ({a.size.toLocaleString()} bytes)
                </Button>
              ))}
            </Group>
          )}
        </Section>
      </Stack>
    </>
  );
}
