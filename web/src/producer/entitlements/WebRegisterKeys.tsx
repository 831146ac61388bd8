import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Checkbox,
  Code,
  Group,
  Input,
  List,
  Menu,
  Modal,
  NumberInput,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Tabs,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import {
  IconChevronDown,
  IconFileExport,
  IconFileUpload,
  IconInfoCircle,
  IconKey,
  IconPlus,
  IconPrinter,
  IconSparkles,
  IconTrash,
  IconUpload,
} from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router-dom";
import type { Entitlement } from "../../../../common/src/api/entitlements";
import type { Job } from "../../../../common/src/api/jobs";
import type { KeyLoadReport, WebRegisterKey } from "../../../../common/src/api/keys";
import { KEY_LIMITS } from "../../../../common/src/limits";
import type { KeyStatus } from "../../../../common/src/rules/keys";
import { isKeyLoadable } from "../../../../common/src/rules/keys";
import { errorMessage, isApiError } from "../../api/client";
import { isJobRef, jobsApi, keys, webRegisterKeysApi } from "../../api/endpoints";
import { usePermissions } from "../../auth/session";
import { AccountLink } from "../../components/AccountName";
import { DataTable, usePagedList } from "../../components/DataTable";
import { applyApiError, FormAlert } from "../../components/FormErrors";
import {
  isActiveJob,
  JOB_POLL_MS,
  JobPanel,
  JobProgressBar,
  JobStateBadge,
  jobPath,
  jobTypeLabel,
  LoadOutcome,
} from "../../components/Jobs";
import { Section } from "../../components/Page";
import { PublicUrlWarning } from "../../components/PublicUrlWarning";
import { formatCount, formatDate, formatDateTime } from "../../lib/format";
import { humanize } from "../../lib/labels";
import { all, maxLength, required } from "../../lib/validate";
import { EntitlementRef } from "./ActivateByKey";

const KEY_PAGE_SIZE = 50;
const { pdfMax: PDF_MAX, syncGenerateMax: SYNC_GENERATE_MAX, generateMax: GENERATE_MAX } = KEY_LIMITS;

/** Why keys cannot be loaded into this bulk entitlement now, in words, or null. */
export function keyLoadBlocker(e: Entitlement): string | null {
  if (isKeyLoadable(e.state)) return null;
  if (e.state === "INACTIVE")
    return "This bulk entitlement is inactive: keys cannot be loaded or added until it is deployed again.";
  if (e.state === "OBSOLETE") return "This bulk entitlement is obsolete: it takes no new keys.";
  return `Keys load only into draft, test or deployed bulk entitlements; this one is ${humanize(e.state).toLowerCase()}.`;
}

export const keyCountsKey = (id: string) => [...keys.webRegisterKeys, id, "counts"];

export function useKeyCounts(id: string) {
  return useQuery({ queryKey: keyCountsKey(id), queryFn: () => webRegisterKeysApi.counts(id) });
}

/** Refreshes everything shown about a bulk entitlement's keys (counts, list, active jobs, history). */
function useKeysChanged(id: string) {
  const qc = useQueryClient();
  return () => {
    qc.invalidateQueries({ queryKey: [...keys.webRegisterKeys, id] });
    qc.invalidateQueries({ queryKey: [...keys.entitlements, "history", id] });
    qc.invalidateQueries({ queryKey: [...keys.jobs, "list"] });
  };
}

export function KeyStatusBadge({ status }: { status: KeyStatus }) {
  return (
    <Badge color={status === "REDEEMED" ? "green" : "blue"} variant="light" radius="sm">
      {status === "REDEEMED" ? "Redeemed" : "Unredeemed"}
    </Badge>
  );
}

function CountCard({ label, value, testId }: { label: string; value: number | undefined; testId: string }) {
  return (
    <Paper withBorder radius="md" p="sm" bg="gray.0">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.3}>
        {label}
      </Text>
      <Text fz={26} fw={600} lh={1.2} data-testid={testId} aria-label={`${label} keys`}>
        {value === undefined ? "…" : formatCount(value)}
      </Text>
    </Paper>
  );
}

/** The three counts of a bulk entitlement's keys. */
export function KeyCountCards({ id }: { id: string }) {
  const counts = useKeyCounts(id);
  if (counts.error)
    return (
      <Text size="sm" c="red">
        Could not load the key counts: {errorMessage(counts.error)}
      </Text>
    );
  return (
    <SimpleGrid cols={3} spacing="sm" maw={560} data-testid="key-counts">
      <CountCard label="Total" value={counts.data?.total} testId="key-count-total" />
      <CountCard label="Redeemed" value={counts.data?.redeemed} testId="key-count-redeemed" />
      <CountCard label="Unredeemed" value={counts.data?.unredeemed} testId="key-count-unredeemed" />
    </SimpleGrid>
  );
}

// ---------------------------------------------------------------------------------------------
// Load Web Register Keys: upload a file or generate keys, then follow the job.

type Outcome = { kind: "job"; jobId: string } | { kind: "report"; report: KeyLoadReport };

function FormatsHelp() {
  return (
    <Alert variant="light" color="gray" icon={<IconInfoCircle size={18} />} p="xs" data-testid="key-file-formats">
      <Text size="sm" fw={500} mb={4}>
        Three formats are read (UTF-8):
      </Text>
      <List size="sm" spacing={4}>
        <List.Item>
          FlexNet Operations XML, as FNO exports it: <Code>{"<webregkeys><webregkey>KEY</webregkey>…</webregkeys>"}</Code> (a{" "}
          <Code>.xml</Code> file)
        </List.Item>
        <List.Item>
          CSV with a header row naming a <Code>key</Code> column; other columns are ignored (a <Code>.csv</Code> file)
        </List.Item>
        <List.Item>
          Plain text, one key per line; blank lines are skipped (a <Code>.txt</Code> file)
        </List.Item>
      </List>
      <Text size="xs" c="dimmed" mt={6}>
        Every key is checked: at most 255 characters, none of <Code>{', " & % ^ ( ) # @ ! ~ / < > \\ } { = | .'}</Code>, no
        leading or trailing space, not twice in the file, and not already used by any key or activation ID. Bad lines are reported
        by line number.
      </Text>
    </Alert>
  );
}

function KeyFileInput({ file, onChange }: { file: File | null; onChange: (f: File | null) => void }) {
  const id = useId();
  return (
    <Input.Wrapper
      id={id}
      label="Key file"
      description="An .xml, .csv or .txt file; large files are read on the server as a background job."
    >
      <Paper withBorder radius="md" p="sm" mt={4} style={{ borderStyle: "dashed" }}>
        <Group gap="sm" wrap="nowrap">
          <IconFileUpload size={22} color="var(--mantine-color-indigo-6)" />
          <input
            id={id}
            type="file"
            accept=".xml,.csv,.txt,text/xml,application/xml,text/csv,text/plain"
            onChange={(e) => onChange(e.currentTarget.files?.[0] ?? null)}
            style={{ flex: 1, fontSize: "var(--mantine-font-size-sm)" }}
            data-testid="key-file-input"
          />
        </Group>
        {file && (
          <Text size="xs" c="dimmed" mt={6}>
            {file.name} · {formatCount(Math.max(1, Math.round(file.size / 1024)))} KB
          </Text>
        )}
      </Paper>
    </Input.Wrapper>
  );
}

export function LoadKeysModal({ bulk, opened, onClose }: { bulk: Entitlement; opened: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const changed = useKeysChanged(bulk.id);
  const [tab, setTab] = useState<string | null>("upload");
  const [file, setFile] = useState<File | null>(null);
  const [partial, setPartial] = useState(false);
  const [count, setCount] = useState<string | number>(100);
  const [countError, setCountError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [jobEnded, setJobEnded] = useState(false);

  const reset = () => {
    setOutcome(null);
    setJobEnded(false);
    setError(null);
    setFile(null);
    setCountError(null);
  };
  const close = () => {
    reset();
    onClose();
  };
  const started = (jobId: string) => {
    setOutcome({ kind: "job", jobId });
    qc.invalidateQueries({ queryKey: [...keys.jobs, "list"] });
  };
  const finished = (job: Job) => {
    setJobEnded(true);
    changed();
    if (job.state === "SUCCEEDED") notifications.show({ color: "green", message: `${jobTypeLabel(job.type)} finished.` });
    if (job.state === "PARTIAL_FAILURE")
      notifications.show({ color: "yellow", message: `${jobTypeLabel(job.type)} finished; some lines were refused.` });
  };

  const upload = async () => {
    setError(null);
    if (!file) {
      setError("Choose a key file first.");
      return;
    }
    setBusy(true);
    try {
      const ref = await webRegisterKeysApi.importFile(bulk.id, file, partial ? "partial" : "all");
      started(ref.jobId);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const generate = async () => {
    setError(null);
    const n = typeof count === "number" ? count : Number(String(count).replace(/[^\d]/g, ""));
    if (!Number.isInteger(n) || n < 1 || n > GENERATE_MAX) {
      setCountError(`Enter a whole number from 1 to ${formatCount(GENERATE_MAX)}`);
      return;
    }
    setCountError(null);
    setBusy(true);
    try {
      const r = await webRegisterKeysApi.generate(bulk.id, n);
      if (isJobRef(r)) started(r.jobId);
      else {
        setOutcome({ kind: "report", report: r });
        changed();
      }
    } catch (e) {
      if (isApiError(e) && e.field === "count") setCountError(e.fieldErrors[0]?.message ?? e.message);
      else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={close} title="Load Web Register Keys" size="xl" closeOnClickOutside={!busy && !outcome}>
      {outcome ? (
        <Stack>
          {outcome.kind === "job" ? (
            <>
              <JobPanel jobId={outcome.jobId} onFinished={finished} />
              {!jobEnded && (
                <Text size="xs" c="dimmed">
                  The job runs on the server: you can close this window, it goes on. Follow it on the{" "}
                  <Anchor component={Link} to="/jobs" size="xs">
                    Jobs
                  </Anchor>{" "}
                  page.
                </Text>
              )}
            </>
          ) : (
            <LoadOutcome report={outcome.report} />
          )}
          <Group justify="flex-end">
            {(outcome.kind === "report" || jobEnded) && (
              <Button variant="default" onClick={reset}>
                Load more keys
              </Button>
            )}
            <Button onClick={close}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <Tabs value={tab} onChange={setTab} keepMounted={false}>
          <Tabs.List mb="md">
            <Tabs.Tab value="upload" leftSection={<IconUpload size={16} />}>
              Upload a file
            </Tabs.Tab>
            <Tabs.Tab value="generate" leftSection={<IconSparkles size={16} />}>
              Generate keys
            </Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="upload">
            <Stack>
              <KeyFileInput file={file} onChange={setFile} />
              <FormatsHelp />
              <Checkbox
                label="Load the valid keys and report the rest"
                description="Without this, a file with any bad line loads nothing, and the report names every bad line."
                checked={partial}
                onChange={(e) => setPartial(e.currentTarget.checked)}
              />
              <FormAlert error={error} onClose={() => setError(null)} />
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  Close
                </Button>
                <Button leftSection={<IconUpload size={16} />} loading={busy} onClick={upload}>
                  Upload
                </Button>
              </Group>
            </Stack>
          </Tabs.Panel>
          <Tabs.Panel value="generate">
            <Stack>
              <NumberInput
                label="Number of keys"
                description={`Random keys (Crockford base32, grouped, with a check character). Up to ${formatCount(SYNC_GENERATE_MAX)} are made at once; more run as a background job.`}
                min={1}
                max={GENERATE_MAX}
                allowDecimal={false}
                allowNegative={false}
                thousandSeparator=","
                value={count}
                onChange={(v) => {
                  setCount(v);
                  setCountError(null);
                }}
                error={countError}
                w={{ base: "100%", sm: 360 }}
              />
              <FormAlert error={error} onClose={() => setError(null)} />
              <Group justify="flex-end">
                <Button variant="default" onClick={close}>
                  Close
                </Button>
                <Button leftSection={<IconSparkles size={16} />} loading={busy} onClick={generate}>
                  Generate
                </Button>
              </Group>
            </Stack>
          </Tabs.Panel>
        </Tabs>
      )}
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------
// Add a Web Register Key

export function AddKeyModal({ bulk, opened, onClose }: { bulk: Entitlement; opened: boolean; onClose: () => void }) {
  const changed = useKeysChanged(bulk.id);
  const form = useForm({
    initialValues: { key: "" },
    validate: { key: all(required("The key"), maxLength(255)) },
  });
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    form.reset();
    setGeneral(null);
    onClose();
  };
  const submit = form.onSubmit(async ({ key }) => {
    setGeneral(null);
    setBusy(true);
    try {
      const added = await webRegisterKeysApi.add(bulk.id, key.trim());
      changed();
      notifications.show({ color: "green", message: `Key ${added.key} added.` });
      close();
    } catch (e) {
      setGeneral(applyApiError(form, e));
    } finally {
      setBusy(false);
    }
  });
  return (
    <Modal opened={opened} onClose={close} title="Add a Web Register Key">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Key"
            description="Up to 255 characters; it must not be used by any other key or activation ID."
            autoComplete="off"
            spellCheck={false}
            styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
            data-autofocus
            {...form.getInputProps("key")}
          />
          <FormAlert error={general} onClose={() => setGeneral(null)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Close
            </Button>
            <Button type="submit" leftSection={<IconPlus size={16} />} loading={busy}>
              Add
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------
// Print key cards

export function PrintCardsModal({
  bulk,
  unredeemed,
  opened,
  onClose,
}: {
  bulk: Entitlement;
  unredeemed: number;
  opened: boolean;
  onClose: () => void;
}) {
  const [limit, setLimit] = useState<string | number>(Math.min(Math.max(unredeemed, 1), 1000));
  const [after, setAfter] = useState<string | number>(0);
  const n = typeof limit === "number" ? limit : 0;
  const skip = typeof after === "number" ? after : 0;
  const valid = Number.isInteger(n) && n >= 1 && n <= PDF_MAX && Number.isInteger(skip) && skip >= 0;
  const cards = Math.max(0, Math.min(n, unredeemed - skip));
  return (
    <Modal opened={opened} onClose={onClose} title="Print key cards (PDF)">
      <Stack>
        <PublicUrlWarning />
        <Text size="sm">
          A printable sheet of unredeemed keys, ten cards per A4 page, each with a QR code that opens the redeem page with the key
          filled in. Print a large set in parts of up to {formatCount(PDF_MAX)} keys.
        </Text>
        <NumberInput
          label="Number of cards"
          min={1}
          max={PDF_MAX}
          allowDecimal={false}
          allowNegative={false}
          thousandSeparator=","
          value={limit}
          onChange={setLimit}
          error={n > PDF_MAX ? `At most ${formatCount(PDF_MAX)} per sheet` : null}
        />
        <NumberInput
          label="Skip the first"
          description="Unredeemed keys already printed, in load order."
          min={0}
          allowDecimal={false}
          allowNegative={false}
          thousandSeparator=","
          value={after}
          onChange={setAfter}
        />
        <Text size="sm" c="dimmed">
          {formatCount(cards)} card{cards === 1 ? "" : "s"} of {formatCount(unredeemed)} unredeemed key
          {unredeemed === 1 ? "" : "s"} · {formatCount(Math.ceil(cards / 10))} page{Math.ceil(cards / 10) === 1 ? "" : "s"}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
          <Button
            component="a"
            href={valid ? webRegisterKeysApi.pdfUrl(bulk.id, n, skip) : undefined}
            target="_blank"
            rel="noopener"
            leftSection={<IconPrinter size={16} />}
            disabled={!valid || cards === 0}
          >
            Open the PDF
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

// ---------------------------------------------------------------------------------------------
// Jobs of this bulk entitlement that are still running

function ActiveKeyJobs({ bulkId, onFinished }: { bulkId: string; onFinished: () => void }) {
  const q = useQuery({
    queryKey: [...keys.jobs, "list", { bulkId, recent: true }],
    queryFn: () => jobsApi.list({ bulkId, limit: 5 }),
    refetchInterval: (query) => (query.state.data?.items.some((j) => isActiveJob(j.state)) ? JOB_POLL_MS * 2 : false),
    staleTime: 0,
  });
  const items = q.data?.items ?? [];
  const active = items.filter((j) => isActiveJob(j.state));
  // A job seen running here and now finished changed the keys: refresh them once.
  const running = useRef<Set<string>>(new Set());
  const latest = useRef(onFinished);
  latest.current = onFinished;
  useEffect(() => {
    let ended = false;
    for (const j of q.data?.items ?? []) {
      if (isActiveJob(j.state)) running.current.add(j.id);
      else if (running.current.delete(j.id)) ended = true;
    }
    if (ended) latest.current();
  }, [q.data]);
  if (active.length === 0) return null;
  return (
    <Stack gap="xs" data-testid="active-key-jobs">
      {active.map((j) => (
        <Paper key={j.id} withBorder radius="md" p="sm" bg="blue.0">
          <Group justify="space-between" mb={6}>
            <Group gap="xs">
              <Text size="sm" fw={500}>
                {jobTypeLabel(j.type)}
              </Text>
              <JobStateBadge state={j.state} />
              <Text size="xs" c="dimmed">
                started by {j.createdBy ?? "—"}
              </Text>
            </Group>
            <Anchor component={Link} to={jobPath(j.id)} size="sm">
              Open the job
            </Anchor>
          </Group>
          <JobProgressBar job={j} />
        </Paper>
      ))}
    </Stack>
  );
}

// ---------------------------------------------------------------------------------------------
// The Web register keys tab

function refusalLines(e: unknown): string[] {
  if (isApiError(e) && e.fieldErrors.length > 0 && e.fieldErrors.every((f) => /^keys\[\d+\]$/.test(f.field)))
    return e.fieldErrors.map((f) => f.message);
  return [errorMessage(e)];
}

const STATUS_OPTIONS = [
  { value: "ALL", label: "All" },
  { value: "UNREDEEMED", label: "Unredeemed" },
  { value: "REDEEMED", label: "Redeemed" },
];

/** A bulk entitlement's web register keys: counts, load/add/export/print/delete, and the paged list. */
export function WebRegisterKeysPanel({ e }: { e: Entitlement }) {
  const perms = usePermissions();
  const changed = useKeysChanged(e.id);
  const counts = useKeyCounts(e.id);
  const writer = perms.isProducerWriter;
  const blocker = keyLoadBlocker(e);
  const [loadOpen, setLoadOpen] = useState(false);
  const [addOpen, setAddOpen] = useState(false);
  const [printOpen, setPrintOpen] = useState(false);
  const [status, setStatus] = useState<string>("ALL");
  const [prefix, setPrefix] = useState("");
  const [debouncedPrefix] = useDebouncedValue(prefix.trim(), 300);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteAll, setDeleteAll] = useState(false);
  const [deleteError, setDeleteError] = useState<string[] | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleteJob, setDeleteJob] = useState<string | null>(null);

  const list = usePagedList<WebRegisterKey>(
    [...keys.webRegisterKeys, e.id],
    (q) => webRegisterKeysApi.list(e.id, q),
    { status: status === "ALL" ? undefined : status, prefix: debouncedPrefix || undefined },
    { pageSize: KEY_PAGE_SIZE },
  );
  const selectable = list.items.filter((k) => k.status === "UNREDEEMED");
  const allOnPage = selectable.length > 0 && selectable.every((k) => selected.has(k.key));
  const someOnPage = selectable.some((k) => selected.has(k.key));
  const unredeemed = counts.data?.unredeemed ?? 0;
  const toggle = (k: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });

  const closeDelete = () => {
    setConfirmDelete(false);
    setDeleteAll(false);
    setDeleteError(null);
  };
  const runDelete = async () => {
    setDeleting(true);
    setDeleteError(null);
    try {
      if (deleteAll) {
        const r = await webRegisterKeysApi.deleteAllUnredeemed(e.id);
        if (isJobRef(r)) setDeleteJob(r.jobId);
        else notifications.show({ color: "green", message: `Deleted ${formatCount(r.deleted)} unredeemed keys.` });
      } else {
        const r = await webRegisterKeysApi.deleteKeys(e.id, [...selected]);
        notifications.show({ color: "green", message: `Deleted ${formatCount(r.deleted)} key${r.deleted === 1 ? "" : "s"}.` });
      }
      setSelected(new Set());
      changed();
      closeDelete();
    } catch (err) {
      setDeleteError(refusalLines(err));
      // The list may be out of date (keys deleted or redeemed meanwhile): show what is there now.
      changed();
    } finally {
      setDeleting(false);
    }
  };

  const loadButton = (label: string, icon: React.ReactNode, onClick: () => void, variant: string) => {
    const button = (
      <Button leftSection={icon} onClick={onClick} disabled={!!blocker} variant={variant}>
        {label}
      </Button>
    );
    return blocker ? (
      <Tooltip label={blocker} multiline w={280} withArrow>
        <span>{button}</span>
      </Tooltip>
    ) : (
      button
    );
  };

  return (
    <Stack>
      <Section
        title="Web register keys"
        actions={
          <>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button
                  variant="default"
                  leftSection={<IconFileExport size={16} />}
                  rightSection={<IconChevronDown size={14} />}
                  disabled={!counts.data || counts.data.total === 0}
                >
                  Export CSV
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item component="a" href={webRegisterKeysApi.csvUrl(e.id)} download>
                  All keys
                </Menu.Item>
                <Menu.Item component="a" href={webRegisterKeysApi.csvUrl(e.id, "UNREDEEMED")} download>
                  Unredeemed keys
                </Menu.Item>
                <Menu.Item component="a" href={webRegisterKeysApi.csvUrl(e.id, "REDEEMED")} download>
                  Redeemed keys
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
            <Button
              variant="default"
              leftSection={<IconPrinter size={16} />}
              onClick={() => setPrintOpen(true)}
              disabled={unredeemed === 0}
            >
              Print key cards (PDF)
            </Button>
          </>
        }
      >
        <Stack>
          <Group justify="space-between" align="flex-end" wrap="wrap" gap="md">
            <KeyCountCards id={e.id} />
            {writer && (
              <Group gap="xs">
                {loadButton("Load Web Register Keys", <IconUpload size={16} />, () => setLoadOpen(true), "filled")}
                {loadButton("Add a Web Register Key", <IconPlus size={16} />, () => setAddOpen(true), "light")}
              </Group>
            )}
          </Group>
          {writer && blocker && (
            <Alert color="gray" variant="light" icon={<IconInfoCircle size={18} />} p="xs" data-testid="keys-blocked">
              {blocker} Exporting, printing and deleting unredeemed keys still work.
            </Alert>
          )}
          {!e.product && isKeyLoadable(e.state) && (
            <Text size="sm" c="dimmed">
              Keys can be loaded now; they can be redeemed once the product is added and the bulk entitlement is deployed.
            </Text>
          )}
          <ActiveKeyJobs bulkId={e.id} onFinished={changed} />
        </Stack>
      </Section>

      <DataTable
        what="the keys"
        list={list}
        rowKey={(k) => k.key}
        emptyText={
          status !== "ALL" || debouncedPrefix
            ? "No key matches these filters."
            : writer && !blocker
              ? "No keys yet: use Load Web Register Keys to upload a file or generate keys."
              : "No keys yet."
        }
        filters={
          <>
            <Box>
              <Input.Label id={`key-status-${e.id}`} display="block">
                Status
              </Input.Label>
              <SegmentedControl
                aria-labelledby={`key-status-${e.id}`}
                data={STATUS_OPTIONS}
                value={status}
                onChange={setStatus}
              />
            </Box>
            <TextInput
              label="Key starts with"
              placeholder="e.g. 7QK4"
              value={prefix}
              onChange={(ev) => setPrefix(ev.currentTarget.value)}
              w={220}
              styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
            />
            {writer && (
              <Button
                ml="auto"
                color="red"
                variant="light"
                leftSection={<IconTrash size={16} />}
                disabled={selected.size === 0}
                onClick={() => {
                  setDeleteAll(false);
                  setConfirmDelete(true);
                }}
              >
                Delete selected{selected.size ? ` (${formatCount(selected.size)})` : ""}
              </Button>
            )}
            {writer && (
              <Button
                color="red"
                variant="subtle"
                leftSection={<IconTrash size={16} />}
                disabled={unredeemed === 0}
                onClick={() => {
                  setDeleteAll(true);
                  setConfirmDelete(true);
                }}
              >
                Delete all unredeemed
              </Button>
            )}
          </>
        }
        columns={[
          ...(writer
            ? [
                {
                  key: "select",
                  width: 36,
                  header: (
                    <Checkbox
                      aria-label="Select all unredeemed keys on this page"
                      checked={allOnPage}
                      indeterminate={someOnPage && !allOnPage}
                      disabled={selectable.length === 0}
                      onChange={() =>
                        setSelected((s) => {
                          const n = new Set(s);
                          for (const k of selectable) {
                            if (allOnPage) n.delete(k.key);
                            else n.add(k.key);
                          }
                          return n;
                        })
                      }
                    />
                  ),
                  render: (k: WebRegisterKey) =>
                    k.status === "UNREDEEMED" ? (
                      <Checkbox aria-label={`Select key ${k.key}`} checked={selected.has(k.key)} onChange={() => toggle(k.key)} />
                    ) : (
                      <Tooltip label="Redeemed keys cannot be deleted" withArrow>
                        <Checkbox aria-label={`Key ${k.key} is redeemed`} disabled checked={false} onChange={() => {}} />
                      </Tooltip>
                    ),
                },
              ]
            : []),
          {
            key: "key",
            header: "Key",
            render: (k) => (
              <Text ff="monospace" size="sm" style={{ whiteSpace: "nowrap" }}>
                {k.key}
              </Text>
            ),
          },
          {
            key: "status",
            header: "Status",
            render: (k) => (
              <Box miw={112}>
                <KeyStatusBadge status={k.status} />
              </Box>
            ),
          },
          {
            key: "created",
            header: "Created",
            render: (k) => (
              <Text size="sm" style={{ whiteSpace: "nowrap" }} title={formatDateTime(k.createdAt)}>
                {formatDate(k.createdAt)}
              </Text>
            ),
          },
          {
            key: "redeemed",
            header: "Redeemed",
            render: (k) =>
              k.redeemedAt ? (
                <Stack gap={0}>
                  <Text size="sm" style={{ whiteSpace: "nowrap" }}>
                    {formatDateTime(k.redeemedAt)}
                  </Text>
                  {k.redeemedBy && (
                    <Text size="xs" c="dimmed">
                      by {k.redeemedBy}
                    </Text>
                  )}
                </Stack>
              ) : (
                "—"
              ),
          },
          {
            key: "soldTo",
            header: "Sold to",
            render: (k) =>
              k.soldTo ? (
                <Stack gap={0}>
                  <AccountLink id={k.soldTo} />
                  {k.owner && (
                    <Text size="xs" c="dimmed">
                      Owner: {k.owner}
                    </Text>
                  )}
                </Stack>
              ) : (
                "—"
              ),
          },
          {
            key: "entitlement",
            header: "Entitlement",
            render: (k) => (k.entitlementId ? <EntitlementRef id={k.entitlementId} compact /> : "—"),
          },
        ]}
      />

      <Modal
        opened={confirmDelete}
        onClose={closeDelete}
        title={deleteAll ? "Delete all unredeemed keys" : "Delete selected keys"}
      >
        <Stack>
          <Text size="sm">
            {deleteAll
              ? `Delete all ${formatCount(unredeemed)} unredeemed keys of ${e.entitlementId}? Redeemed keys stay. This cannot be undone.`
              : `Delete ${formatCount(selected.size)} selected key${selected.size === 1 ? "" : "s"}? Only unredeemed keys can be deleted; if any of them cannot, nothing is deleted. This cannot be undone.`}
          </Text>
          {deleteError && (
            <Alert color="red" variant="light" role="alert" title="Nothing was deleted" data-testid="delete-refusal">
              {deleteError.length === 1 ? (
                deleteError[0]
              ) : (
                <List size="sm">
                  {deleteError.map((m) => (
                    <List.Item key={m}>{m}</List.Item>
                  ))}
                </List>
              )}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={closeDelete}>
              Keep the keys
            </Button>
            <Button color="red" loading={deleting} onClick={runDelete} leftSection={<IconTrash size={16} />}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
      <Modal opened={!!deleteJob} onClose={() => setDeleteJob(null)} title="Deleting unredeemed keys" size="lg">
        {deleteJob && (
          <Stack>
            <JobPanel jobId={deleteJob} onFinished={changed} />
            <Group justify="flex-end">
              <Button onClick={() => setDeleteJob(null)}>Close</Button>
            </Group>
          </Stack>
        )}
      </Modal>
      {writer && <LoadKeysModal bulk={e} opened={loadOpen} onClose={() => setLoadOpen(false)} />}
      {writer && <AddKeyModal bulk={e} opened={addOpen} onClose={() => setAddOpen(false)} />}
      {printOpen && <PrintCardsModal bulk={e} unredeemed={unredeemed} opened onClose={() => setPrintOpen(false)} />}
    </Stack>
  );
}

/** The line on the Details tab that leads to the keys. */
export function KeySummaryLine({ id, onOpen }: { id: string; onOpen: () => void }) {
  const counts = useKeyCounts(id);
  return (
    <Group gap="sm" p="xs" bg="gray.0" style={{ borderRadius: "var(--mantine-radius-md)" }}>
      <IconKey size={18} color="var(--mantine-color-indigo-6)" />
      <Text size="sm">
        Web register keys:{" "}
        {counts.data
          ? `${formatCount(counts.data.total)} total · ${formatCount(counts.data.redeemed)} redeemed · ${formatCount(counts.data.unredeemed)} unredeemed`
          : counts.error
            ? errorMessage(counts.error)
            : "…"}
      </Text>
      <Anchor component="button" type="button" size="sm" onClick={onOpen}>
        Open the keys
      </Anchor>
    </Group>
  );
}
