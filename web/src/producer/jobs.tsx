import { Alert, Box, Group, Loader, Select, Stack, Text } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import { useState } from "react";
import { useNavigate, useParams } from "react-router-dom";
import type { Job } from "../../../common/src/api/jobs";
import { jobsApi, keys } from "../api/endpoints";
import { DataTable, usePagedList } from "../components/DataTable";
import { LoadError } from "../components/FormErrors";
import {
  BulkEntitlementLink,
  CancelJobButton,
  isActiveJob,
  isLoadReport,
  JOB_STATES,
  JOB_TYPE_LABELS,
  JobOutcome,
  JobProgressBar,
  JobStateBadge,
  jobPath,
  jobTypeLabel,
  useJob,
} from "../components/Jobs";
import { InfoGrid, PageHeader, Section } from "../components/Page";
import { formatCount, formatDateTime, formatDuration } from "../lib/format";
import { humanize } from "../lib/labels";

/** How often the list refreshes while a job on the page is queued or running. */
const LIST_POLL_MS = 1500;

const STATE_OPTIONS = JOB_STATES.map((s) => ({ value: s, label: humanize(s) }));
const TYPE_OPTIONS = Object.entries(JOB_TYPE_LABELS).map(([value, label]) => ({ value, label }));

/** Jobs: background work (key imports, generation, deletions), newest first, refreshing while any runs. */
export function JobsListPage() {
  const navigate = useNavigate();
  const [state, setState] = useState<string | null>(null);
  const [type, setType] = useState<string | null>(null);
  const list = usePagedList<Job>(
    keys.jobs,
    jobsApi.list,
    { state, type },
    { refetchInterval: (page) => (page?.items.some((j) => isActiveJob(j.state)) ? LIST_POLL_MS : false) },
  );
  const running = list.items.some((j) => isActiveJob(j.state));
  return (
    <>
      <PageHeader
        title="Jobs"
        description="Background work: key imports, key generation and large key deletions. Newest first; a load that fails or is cancelled changes nothing."
      />
      <DataTable
        what="the jobs"
        list={list}
        rowKey={(j) => j.id}
        onRowClick={(j) => navigate(jobPath(j.id))}
        emptyText={state || type ? "No job matches these filters." : "No jobs yet. Loading or generating many keys starts one."}
        filters={
          <>
            <Select
              label="State"
              placeholder="Any state"
              clearable
              data={STATE_OPTIONS}
              value={state}
              onChange={setState}
              w={170}
            />
            <Select label="Type" placeholder="Any type" clearable data={TYPE_OPTIONS} value={type} onChange={setType} w={190} />
            {running && (
              <Text size="xs" c="dimmed" data-testid="jobs-auto-refresh">
                Refreshing while jobs run…
              </Text>
            )}
          </>
        }
        columns={[
          {
            key: "type",
            header: "Type",
            render: (j) => (
              <Text size="sm" fw={500} style={{ whiteSpace: "nowrap" }}>
                {jobTypeLabel(j.type)}
              </Text>
            ),
          },
          {
            key: "state",
            header: "State",
            render: (j) => (
              <Box miw={110}>
                <JobStateBadge state={j.state} />
                {j.state === "PARTIAL_FAILURE" && isLoadReport(j.result) && (
                  <Text size="xs" c="dimmed" data-testid="job-refused">
                    {formatCount(j.result.rejected)} line{j.result.rejected === 1 ? "" : "s"} refused
                  </Text>
                )}
              </Box>
            ),
          },
          { key: "progress", header: "Progress", width: 200, render: (j) => <JobProgressBar job={j} compact /> },
          {
            key: "bulk",
            header: "Bulk entitlement",
            render: (j) => (j.bulkId ? <BulkEntitlementLink id={j.bulkId} /> : "—"),
          },
          { key: "by", header: "Created by", render: (j) => j.createdBy ?? "—" },
          {
            key: "created",
            header: "Created",
            render: (j) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                {formatDateTime(j.createdAt)}
              </Text>
            ),
          },
          {
            key: "finished",
            header: "Finished",
            render: (j) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                {formatDateTime(j.finishedAt)}
              </Text>
            ),
          },
        ]}
      />
    </>
  );
}

function elapsed(j: Job): string {
  if (!j.startedAt) return "—";
  const end = j.finishedAt ? Date.parse(j.finishedAt) : Date.now();
  return formatDuration((end - Date.parse(j.startedAt)) / 1000);
}

/** One job: live progress (every 500 ms while it runs), Cancel, then its result report or error. */
export function JobDetailPage() {
  const { id = "" } = useParams();
  const q = useJob(id);
  const crumbs = [{ label: "Jobs", to: "/jobs" }];
  if (q.isLoading) return <Loader />;
  if (q.error || !q.data)
    return (
      <>
        <PageHeader title="Job" crumbs={crumbs} />
        <LoadError error={q.error} what="the job" />
      </>
    );
  const j = q.data;
  const report = isLoadReport(j.result) ? j.result : null;
  return (
    <>
      <PageHeader
        title={jobTypeLabel(j.type)}
        badge={<JobStateBadge state={j.state} />}
        crumbs={crumbs}
        actions={<CancelJobButton job={j} />}
      />
      <Stack>
        <Section title="Progress">
          <JobProgressBar job={j} />
        </Section>
        <Section title="Job">
          <InfoGrid
            items={[
              {
                label: "Job ID",
                value: (
                  <Text ff="monospace" size="sm">
                    {j.id}
                  </Text>
                ),
              },
              { label: "Type", value: jobTypeLabel(j.type) },
              { label: "Bulk entitlement", value: j.bulkId ? <BulkEntitlementLink id={j.bulkId} /> : null },
              { label: "Created", value: `${formatDateTime(j.createdAt)}${j.createdBy ? ` by ${j.createdBy}` : ""}` },
              { label: "Started", value: formatDateTime(j.startedAt) },
              { label: "Finished", value: formatDateTime(j.finishedAt) },
              { label: isActiveJob(j.state) ? "Running for" : "Took", value: elapsed(j) },
              { label: "Attempts", value: String(j.attempts) },
              ...(j.cancelRequested && isActiveJob(j.state) ? [{ label: "Cancel", value: "Requested; stopping…" }] : []),
            ]}
          />
        </Section>
        {!isActiveJob(j.state) && (
          <Section title="Result">
            <Stack>
              {report && (
                <Group gap="xl">
                  {[
                    ["Read", formatCount(report.read)],
                    ["Loaded", formatCount(report.loaded)],
                    ["Refused", formatCount(report.rejected)],
                    ["Mode", report.mode === "partial" ? "Load the valid keys" : "All or nothing"],
                  ].map(([label, value]) => (
                    <Box key={label}>
                      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
                        {label}
                      </Text>
                      <Text size="sm">{value}</Text>
                    </Box>
                  ))}
                </Group>
              )}
              <JobOutcome job={j} />
              {j.error && !report && j.state !== "FAILED" && (
                <Alert color="gray" variant="light" icon={<IconAlertCircle size={18} />}>
                  {j.error}
                </Alert>
              )}
            </Stack>
          </Section>
        )}
      </Stack>
    </>
  );
}
