import { Alert, Anchor, Badge, Button, Group, Loader, Progress, ScrollArea, Stack, Table, Text } from "@mantine/core";
import { IconAlertCircle, IconCircleCheck, IconPlayerStop } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import type { Job, JobState } from "../../../common/src/api/jobs";
import type { KeyLoadReport } from "../../../common/src/api/keys";
import { errorMessage } from "../api/client";
import { entitlementsApi, jobsApi, keys } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { formatCount, formatDuration } from "../lib/format";
import { humanize } from "../lib/labels";
import { LoadError } from "./FormErrors";

/** Every job state (common/src/enums.ts), for the jobs page's filter. */
export { JOB_STATES } from "../lib/enums";

export const JOB_TYPE_LABELS: Record<string, string> = {
  "keys.import": "Key import",
  "keys.generate": "Key generation",
  "keys.delete": "Key deletion",
  "mail.send": "Send email",
};
export const jobTypeLabel = (type: string) => JOB_TYPE_LABELS[type] ?? type;

const STATE_LABELS: Record<JobState, string> = {
  QUEUED: "Queued",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  PARTIAL_FAILURE: "Partial failure",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
};
const STATE_COLORS: Record<JobState, string> = {
  QUEUED: "gray",
  RUNNING: "blue",
  SUCCEEDED: "green",
  PARTIAL_FAILURE: "yellow",
  FAILED: "red",
  CANCELLED: "orange",
};

export const isActiveJob = (state: string) => state === "QUEUED" || state === "RUNNING";
export const jobPath = (id: string) => `/jobs/${encodeURIComponent(id)}`;
/** How often a running job is asked for its progress. */
export const JOB_POLL_MS = 500;

export function JobStateBadge({ state }: { state: JobState }) {
  return (
    <Badge color={STATE_COLORS[state] ?? "gray"} variant="light" radius="sm" data-testid="job-state">
      {STATE_LABELS[state] ?? state}
    </Badge>
  );
}

export function isLoadReport(r: unknown): r is KeyLoadReport {
  return !!r && typeof r === "object" && Array.isArray((r as KeyLoadReport).badLines) && "loaded" in r;
}

/** A job, polled every 500 ms while it is queued or running; `onFinished` runs once when it ends. */
export function useJob(id: string | null, onFinished?: (job: Job) => void) {
  const q = useQuery({
    queryKey: [...keys.jobs, "detail", id],
    queryFn: () => jobsApi.get(id as string),
    enabled: !!id,
    staleTime: 0,
    refetchInterval: (query) => {
      const j = query.state.data;
      if (query.state.error && !j) return false; // an unknown job (404): stop asking
      return !j || isActiveJob(j.state) ? JOB_POLL_MS : false;
    },
  });
  const fired = useRef<string | null>(null);
  const latest = useRef(onFinished);
  latest.current = onFinished;
  const job = q.data;
  useEffect(() => {
    if (job && !isActiveJob(job.state) && fired.current !== job.id) {
      fired.current = job.id;
      latest.current?.(job);
    }
  }, [job]);
  return q;
}

/**
 * The progress bar of a job: percent when the total is known, an animated indeterminate bar while
 * it is not (a file still being read), with done / total, the rate and the time left.
 */
export function JobProgressBar({ job, unit = "keys", compact = false }: { job: Job; unit?: string; compact?: boolean }) {
  const active = isActiveJob(job.state);
  const p = job.progress;
  const indeterminate = active && (job.state === "QUEUED" || p.total === null || p.percent === null);
  // A finished job whose total was never known (a file read to its end, or not): a full bar in its state's colour.
  const unknownTotal = !active && p.total === null;
  const percent = job.state === "SUCCEEDED" || job.state === "PARTIAL_FAILURE" || unknownTotal ? 100 : (p.percent ?? 0);
  const shown = Math.floor(percent * 10) / 10;
  const color = active ? "blue" : (STATE_COLORS[job.state] ?? "blue");
  const label = `${jobTypeLabel(job.type)} progress`;
  const bar = (
    <Progress.Root
      size={compact ? "md" : "xl"}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={indeterminate || unknownTotal ? undefined : shown}
      aria-valuetext={indeterminate ? "In progress" : unknownTotal ? humanize(job.state) : `${shown}%`}
      aria-busy={active}
      data-testid="job-progress"
      data-state={job.state}
      miw={compact ? 140 : undefined}
    >
      <Progress.Section
        value={indeterminate ? 100 : percent}
        color={indeterminate ? "blue.3" : color}
        striped={active}
        animated={active}
        withAria={false}
      >
        {!compact && !indeterminate && !unknownTotal && percent >= 8 && <Progress.Label>{shown}%</Progress.Label>}
      </Progress.Section>
    </Progress.Root>
  );
  const doneText = unknownTotal
    ? `${formatCount(p.done)} read`
    : `${formatCount(p.done)} / ${p.total === null ? "?" : formatCount(p.total)}`;
  if (compact)
    return (
      <Stack gap={2}>
        {bar}
        <Text size="xs" c="dimmed" style={{ whiteSpace: "nowrap" }}>
          {doneText}
          {!indeterminate && !unknownTotal && ` · ${shown}%`}
        </Text>
      </Stack>
    );
  return (
    <Stack gap={6}>
      {bar}
      <Group justify="space-between" gap="md" wrap="wrap">
        <Text size="sm" data-testid="job-done">
          {unknownTotal ? `${formatCount(p.done)} ${unit} read` : `${doneText} ${unit}`}
          {job.state === "QUEUED"
            ? " · waiting to start"
            : indeterminate
              ? " · reading the file"
              : unknownTotal
                ? ""
                : ` · ${shown}%`}
        </Text>
        <Group gap="md">
          <Text size="sm" c="dimmed" data-testid="job-rate">
            {p.ratePerSecond !== null ? `${formatCount(p.ratePerSecond)} ${unit}/s` : `— ${unit}/s`}
          </Text>
          {active && (
            <Text size="sm" c="dimmed" data-testid="job-eta">
              ETA {p.etaSeconds !== null ? formatDuration(p.etaSeconds) : "—"}
            </Text>
          )}
        </Group>
      </Group>
    </Stack>
  );
}

/** The bad lines of a load report: Line, Key (masked by the server), Reason. */
export function BadLinesTable({ report }: { report: KeyLoadReport }) {
  if (report.badLines.length === 0) return null;
  return (
    <Stack gap={4}>
      <ScrollArea.Autosize mah={280} type="auto">
        <Table verticalSpacing={4} fz="sm" striped withTableBorder data-testid="bad-lines" stickyHeader>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={80} style={{ textAlign: "right" }}>
                Line
              </Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th w="60%">Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.badLines.map((b, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, and one XML line can hold several bad keys
              <Table.Tr key={`${b.line}-${i}`}>
                <Table.Td style={{ textAlign: "right" }}>{b.line}</Table.Td>
                <Table.Td ff="monospace" style={{ whiteSpace: "nowrap" }}>
                  {b.key || "(empty)"}
                </Table.Td>
                <Table.Td>{b.reason}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
      {report.truncated && (
        <Text size="xs" c="dimmed" data-testid="bad-lines-truncated">
          The report lists the first {formatCount(report.badLines.length)} of {formatCount(report.rejected)} bad lines.
        </Text>
      )}
    </Stack>
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/** What a key load did, from its report: loaded, loaded with refused lines, or nothing loaded. */
export function LoadOutcome({ report }: { report: KeyLoadReport }) {
  if (report.status === "FAILURE")
    return (
      <Stack gap="xs" data-testid="load-outcome" data-status="FAILURE">
        <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Nothing was loaded" role="alert">
          {report.read === 0
            ? "The file has no keys."
            : `${plural(report.rejected, "bad line")} of ${plural(report.read, "key")} read. Correct ${report.rejected === 1 ? "it" : "them"} and load again${report.mode === "all" ? ", or tick “Load the valid keys and report the rest”" : ""}.`}
        </Alert>
        <BadLinesTable report={report} />
      </Stack>
    );
  return (
    <Stack gap="xs" data-testid="load-outcome" data-status={report.status}>
      <Alert
        color={report.status === "SUCCESS" ? "green" : "yellow"}
        variant="light"
        icon={<IconCircleCheck size={18} />}
        title={`Loaded ${plural(report.loaded, "key")}`}
      >
        {report.status === "SUCCESS"
          ? `All ${plural(report.read, "key")} read were loaded.`
          : `${plural(report.rejected, "line")} ${report.rejected === 1 ? "was" : "were"} refused and not loaded:`}
      </Alert>
      <BadLinesTable report={report} />
    </Stack>
  );
}

/** How a finished job ended, in words, with the load report's bad lines when there are any. */
export function JobOutcome({ job }: { job: Job }) {
  const r = job.result;
  const deletion = job.type === "keys.delete";
  if (job.state === "PARTIAL_FAILURE" && isLoadReport(r)) return <LoadOutcome report={r} />;
  if (job.state === "SUCCEEDED") {
    if (isLoadReport(r)) return <LoadOutcome report={r} />;
    const deleted = r && typeof r === "object" && typeof (r as { deleted?: unknown }).deleted === "number";
    return (
      <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} data-testid="load-outcome" data-status="SUCCESS">
        {deleted ? `Deleted ${plural((r as { deleted: number }).deleted, "key")}.` : "Finished."}
      </Alert>
    );
  }
  if (job.state === "CANCELLED")
    return (
      <Alert color="orange" variant="light" title="Cancelled" data-testid="load-outcome" data-status="CANCELLED" role="alert">
        {deletion ? "Cancelled; nothing was deleted." : "Cancelled; nothing was loaded."}
      </Alert>
    );
  if (job.state === "FAILED") {
    if (isLoadReport(r)) return <LoadOutcome report={r} />;
    return (
      <Alert
        color="red"
        variant="light"
        icon={<IconAlertCircle size={18} />}
        title={deletion ? "Nothing was deleted" : "Nothing was loaded"}
        data-testid="load-outcome"
        data-status="FAILURE"
        role="alert"
      >
        {job.error ?? "The job failed."}
      </Alert>
    );
  }
  return null;
}

/** Cancels a queued or running job (writers only); shows the server's refusal in words. */
export function CancelJobButton({ job }: { job: Job }) {
  const perms = usePermissions();
  const qc = useQueryClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!perms.isProducerWriter || !isActiveJob(job.state)) return null;
  return (
    <Stack gap={4} align="flex-start">
      <Button
        color="red"
        variant="light"
        size="xs"
        leftSection={<IconPlayerStop size={14} />}
        loading={busy}
        disabled={job.cancelRequested}
        onClick={async () => {
          setBusy(true);
          setError(null);
          try {
            const next = await jobsApi.cancel(job.id);
            qc.setQueryData([...keys.jobs, "detail", job.id], next);
            qc.invalidateQueries({ queryKey: [...keys.jobs, "list"] });
          } catch (e) {
            setError(errorMessage(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {job.cancelRequested ? "Cancelling…" : "Cancel"}
      </Button>
      {error && (
        <Text size="sm" c="red" role="alert">
          {error}
        </Text>
      )}
    </Stack>
  );
}

/** A job followed live: its progress, Cancel, and the outcome once it ends. */
export function JobPanel({
  jobId,
  onFinished,
  unit = "keys",
}: {
  jobId: string;
  onFinished?: (job: Job) => void;
  unit?: string;
}) {
  const q = useJob(jobId, onFinished);
  if (q.isLoading) return <Loader size="sm" aria-label="Loading the job" />;
  if (q.error || !q.data) return <LoadError error={q.error} what="the job" />;
  const job = q.data;
  return (
    <Stack gap="sm" data-testid="job-panel">
      <Group justify="space-between">
        <Group gap="xs">
          <Text fw={500}>{jobTypeLabel(job.type)}</Text>
          <JobStateBadge state={job.state} />
        </Group>
        <Anchor component={Link} to={jobPath(job.id)} size="sm">
          Open the job
        </Anchor>
      </Group>
      <JobProgressBar job={job} unit={unit} />
      <CancelJobButton job={job} />
      {!isActiveJob(job.state) && <JobOutcome job={job} />}
    </Stack>
  );
}

/** A bulk entitlement named by its entitlement ID (looked up and cached), linking to its page. */
export function BulkEntitlementLink({ id }: { id: string }) {
  const { data } = useQuery({
    queryKey: [...keys.entitlements, "detail", id],
    queryFn: () => entitlementsApi.get(id),
    staleTime: 60_000,
    retry: false,
  });
  return (
    <Anchor
      component={Link}
      to={`/entitlements/${encodeURIComponent(id)}?tab=keys`}
      size="sm"
      ff="monospace"
      onClick={(e) => e.stopPropagation()}
    >
      {data?.entitlementId ?? id}
    </Anchor>
  );
}
