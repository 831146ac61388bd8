import {
  Alert,
  Anchor,
  Button,
  Checkbox,
  Group,
  List,
  Menu,
  Modal,
  NumberInput,
  Select,
  type SelectProps,
  Stack,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { type UseFormReturnType, useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import {
  IconAlertCircle,
  IconArrowsExchange,
  IconArrowsSplit,
  IconArrowUp,
  IconBinaryTree,
  IconInfoCircle,
  IconPlus,
  IconRefresh,
  IconTransfer,
} from "@tabler/icons-react";
import { useQueries, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Entitlement, LineItem } from "../../../../common/src/api/entitlements";
import type { Product } from "../../../../common/src/api/products";
import { isConfigurable } from "../../../../common/src/rules/catalog";
import { entitlementOpProblem, type LifecycleOp, lineItemOpProblem } from "../../../../common/src/rules/lifecycle";
import { addTerm, type DurationUnit, isDay, TERM_COUNT_MAX } from "../../../../common/src/rules/terms";
import { errorMessage, isApiError } from "../../api/client";
import { keys, productsApi } from "../../api/endpoints";
import { type LifecycleResult, lifecycleApi, type TransferResult } from "../../api/lifecycle";
import type { SplitResult } from "../../api/splits";
import { AccountSelect } from "../../components/AccountSelect";
import { productLabel, useLicenseModelPick } from "../../components/catalogOptions";
import { applyApiError, type FieldMap } from "../../components/FormErrors";
import { LIMITS } from "../../lib/enums";
import { formatCount } from "../../lib/format";
import { ModeRadio, TermFields } from "./fields";
import { LineageDrawer } from "./Lineage";
import { entitlementPath, UNIT_LABELS } from "./model";
import { canSplit, SplitDialog } from "./SplitDialog";

/**
 * Lifecycle operations on a simple entitlement's line items (PRODUCT.md §3): Renew…, Upgrade…,
 * Upsell…, Transfer copies… and Lineage in each line item's actions menu, Transfer… for the whole
 * entitlement, and the "renewal of …" hints of the line items table. An action is offered where the
 * server's own rules (common/src/rules/lifecycle.ts) allow it; the server's refusal is shown when
 * it still says no (data the portal does not hold, such as fulfilled copies).
 */

// ---------------------------------------------------------------------------------------------
// When an operation is legal: the rules the server applies, asked with the entitlement's facts

const allows = (op: LifecycleOp, e: Entitlement, li?: LineItem) =>
  entitlementOpProblem(op, e) === null && (!li || lineItemOpProblem(op, li) === null);

/** Renew, upgrade and upsell: a DEPLOYED (or TEST) simple entitlement and line item. */
export const canGrow = (e: Entitlement, li: LineItem) => allows("RENEW", e, li);

/** Transfers: simple entitlements that are not OBSOLETE or awaiting approval. */
export const canTransfer = (e: Entitlement) => allows("TRANSFER", e);

/** Transfer copies: a line item that is not OBSOLETE and has unfulfilled copies. */
export const canTransferCopies = (e: Entitlement, li: LineItem) => allows("TRANSFER_LINE_ITEM", e, li) && li.availableCount > 0;

const copies = (n: number) => `${formatCount(n)} ${n === 1 ? "copy" : "copies"}`;

/** How a line item relates to its parent, for the hint under its activation ID. */
const PARENT_WORDS: Record<string, string> = {
  RENEWAL: "renewal of",
  UPGRADE: "upgrade of",
  UPSELL: "upsell of",
};

// ---------------------------------------------------------------------------------------------
// Dates (YYYY-MM-DD days, as the server keeps them)

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

const dayFormat = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "2-digit" });
/** A YYYY-MM-DD day in the user's words, without any time-zone shift. */
export function formatDay(day: string | null | undefined): string {
  if (!day) return "—";
  const m = DAY.exec(day.slice(0, 10));
  if (!m) return day;
  return dayFormat.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
}

const termWords = (t: { count: number; unit: string } | null | undefined) =>
  t ? `${t.count} ${(UNIT_LABELS[t.unit as DurationUnit] ?? t.unit).toLowerCase().replace(/s$/, t.count === 1 ? "" : "s")}` : "";

// ---------------------------------------------------------------------------------------------
// Shared bits of the dialogs

interface Problem {
  title: string;
  message: string;
}

/**
 * Submits a lifecycle form: 400 field errors go under their inputs (the rest into the alert); a
 * refusal (409: the state does not allow it, with the reason in words) goes into the alert.
 */
function useLifecycleSubmit<V, R>(
  form: UseFormReturnType<V>,
  call: (values: V) => Promise<R>,
  onSuccess: (result: R) => void,
  fieldMap: FieldMap = {},
) {
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = form.onSubmit(
    async (values) => {
      setProblem(null);
      setBusy(true);
      try {
        onSuccess(await call(values as V));
      } catch (e) {
        if (isApiError(e) && e.status === 400) {
          const general = applyApiError(form, e, fieldMap);
          if (general) setProblem({ title: "Could not do this", message: general });
        } else if (isApiError(e) && e.status === 409) setProblem({ title: "Refused", message: e.message });
        else setProblem({ title: "Could not do this", message: errorMessage(e) });
      } finally {
        setBusy(false);
      }
    },
    () => setProblem(null),
  );
  return { onSubmit, problem, setProblem, busy };
}

function ProblemAlert({ problem, onClose }: { problem: Problem | null; onClose: () => void }) {
  if (!problem) return null;
  return (
    <Alert
      color="red"
      variant="light"
      icon={<IconAlertCircle size={18} />}
      title={problem.title}
      withCloseButton
      onClose={onClose}
      role="alert"
    >
      {problem.message}
    </Alert>
  );
}

function Buttons({
  busy,
  label,
  onCancel,
  disabled,
}: {
  busy: boolean;
  label: string;
  onCancel: () => void;
  disabled?: boolean;
}) {
  return (
    <Group justify="flex-end">
      <Button variant="default" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" loading={busy} disabled={disabled}>
        {label}
      </Button>
    </Group>
  );
}

/** The frame of every lifecycle dialog: the form, the refusal if any, Cancel and the action. */
function LifecycleDialog({
  title,
  submit,
  label,
  onClose,
  disabled,
  children,
}: {
  title: string;
  submit: ReturnType<typeof useLifecycleSubmit>;
  label: string;
  onClose: () => void;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <Modal opened onClose={onClose} title={title} size="lg">
      <form onSubmit={submit.onSubmit} noValidate>
        <Stack>
          {children}
          <ProblemAlert problem={submit.problem} onClose={() => submit.setProblem(null)} />
          <Buttons busy={submit.busy} label={label} onCancel={onClose} disabled={disabled} />
        </Stack>
      </form>
    </Modal>
  );
}

const wholeNumber =
  (min: number, max: number, what = "") =>
  (v: number | string) => {
    const n = Number(v);
    if (v === "" || !Number.isInteger(n) || n < min || n > max)
      return max === min
        ? `Must be ${formatCount(min)}`
        : `Must be a whole number from ${formatCount(min)} to ${formatCount(max)}${what}`;
    return null;
  };

/** The line item in one line, at the top of each dialog. */
function LineItemSummary({ li }: { li: LineItem }) {
  const products = li.products.map((p) => `${p.quantity === 1 ? "" : `${p.quantity} × `}${p.name} ${p.version}`).join(", ");
  const dates = li.isPermanent
    ? "permanent"
    : `${li.startDate ? `from ${formatDay(li.startDate)}` : "starts at first activation"}${
        li.effectiveExpirationDate
          ? `, expires ${formatDay(li.effectiveExpirationDate)}`
          : li.term
            ? `, for ${termWords(li.term)}`
            : ""
      }`;
  return (
    <Text size="sm" c="dimmed">
      <Text span ff="monospace" c="var(--mantine-color-text)" inherit>
        {li.activationId}
      </Text>
      : {products}; {copies(li.numberOfCopies)} ({formatCount(li.fulfilledCount)} fulfilled); {dates}.
    </Text>
  );
}

/** Products by id (line item products, upgrade and upsell targets), cached like the Products pages. */
function useProducts(ids: string[]): Map<string, Product> {
  const results = useQueries({
    queries: ids.map((id) => ({
      queryKey: [...keys.products, "detail", id],
      queryFn: () => productsApi.get(id),
      staleTime: 60_000,
      retry: false,
    })),
  });
  const out = new Map<string, Product>();
  for (const r of results) if (r.data) out.set(r.data.id, r.data);
  return out;
}

const unique = (xs: string[]) => [...new Set(xs)];

function targetIdsOf(li: LineItem, products: Map<string, Product>, kind: "upgradeToIds" | "upsellToIds"): string[] {
  return unique(li.products.flatMap((p) => products.get(p.productId)?.[kind] ?? []));
}

/** Select data for upgrade/upsell targets: name + version; products that cannot be used yet are shown but disabled. */
function targetOptions(ids: string[], targets: Map<string, Product>, test: boolean) {
  return ids.map((id) => {
    const p = targets.get(id);
    if (!p) return { value: id, label: id };
    const usable = isConfigurable(p.state, test);
    return {
      value: id,
      label: `${productLabel(p)}${usable ? "" : ` (${p.state.toLowerCase()}: deploy it first)`}`,
      disabled: !usable,
    };
  });
}

/** The account a transfer goes to: any but the entitlement's current End Customer. */
function ToAccountSelect<V extends { accountId: string | null }>({ form, e }: { form: UseFormReturnType<V>; e: Entitlement }) {
  const f = form as unknown as UseFormReturnType<{ accountId: string | null }>;
  return (
    <AccountSelect
      label="To account"
      required
      value={f.getValues().accountId}
      onChange={(a) => f.setFieldValue("accountId", a?.id ?? null)}
      exclude={e.soldTo ? [e.soldTo] : []}
      error={f.errors.accountId}
    />
  );
}

type TargetValues = { productId: string | null; licenseModelId: string | null };

/**
 * The product an upgrade or upsell is for, and its license model: choosing another product puts
 * the license model back to that product's default.
 */
function TargetProductFields<V extends TargetValues>({
  form,
  li,
  target,
  model,
  options,
  ...select
}: {
  form: UseFormReturnType<V>;
  li: LineItem;
  target: Product | undefined;
  model: string | null;
  options: { value: string; label: string }[];
} & Pick<SelectProps, "label" | "placeholder" | "description" | "clearable" | "disabled" | "required" | "allowDeselect">) {
  const f = form as unknown as UseFormReturnType<TargetValues>;
  return (
    <>
      <Select
        {...select}
        data={options}
        {...f.getInputProps("productId")}
        onChange={(id) => {
          // Choosing the product already chosen keeps the license model picked for it.
          if (id === f.getValues().productId) return;
          f.setFieldValue("productId", id);
          f.setFieldValue("licenseModelId", null);
        }}
      />
      <ModelSelect
        li={li}
        target={target}
        value={model}
        onChange={(m) => f.setFieldValue("licenseModelId", m)}
        error={f.errors.licenseModelId}
      />
    </>
  );
}

/**
 * License model of an upgrade or upsell: the line item's by default; another one the target
 * product allows. Returns the select and the id to send (undefined = keep the line item's).
 */
function ModelSelect({
  li,
  target,
  value,
  onChange,
  error,
}: {
  li: LineItem;
  target: Product | undefined;
  value: string | null;
  onChange: (v: string | null) => void;
  error?: ReactNode;
}) {
  const models = useLicenseModelPick();
  if (!target) return null;
  const allowed = target.licenseModelIds;
  const keeps = !!li.licenseModelId && (allowed.length === 0 || allowed.includes(li.licenseModelId));
  const ids = unique([...(li.licenseModelId && keeps ? [li.licenseModelId] : []), ...allowed]);
  return (
    <Select
      label="License model"
      description={
        keeps
          ? `Default: the line item's, ${li.licenseModelName ?? li.licenseModelId}.`
          : `${productLabel(target)} does not allow the line item's license model${li.licenseModelName ? ` (${li.licenseModelName})` : ""}: choose one it allows.`
      }
      data={ids.map((id) => ({
        value: id,
        label: `${models.byId.get(id)?.name ?? (id === li.licenseModelId ? (li.licenseModelName ?? id) : id)}${id === li.licenseModelId ? " (current)" : ""}`,
      }))}
      value={value}
      onChange={onChange}
      allowDeselect={false}
      error={error}
    />
  );
}

// ---------------------------------------------------------------------------------------------
// Renew…

interface RenewValues {
  mode: "TERM" | "DATE";
  termCount: number | string;
  termUnit: DurationUnit;
  expirationDate: string;
  startDate: string;
  numberOfCopies: number | string;
}

function RenewModal({
  e,
  li,
  onClose,
  onDone,
}: {
  e: Entitlement;
  li: LineItem;
  onClose: () => void;
  onDone: (r: LifecycleResult) => void;
}) {
  const parentExpiry = li.effectiveExpirationDate?.slice(0, 10) ?? null;
  const form = useForm<RenewValues>({
    initialValues: {
      mode: li.term || !li.expirationDate ? "TERM" : "DATE",
      termCount: li.term?.count ?? 1,
      termUnit: (li.term?.unit as DurationUnit) ?? "YEARS",
      expirationDate: "",
      startDate: "",
      numberOfCopies: li.numberOfCopies,
    },
    validate: {
      termCount: (v, values) => (values.mode === "TERM" ? wholeNumber(1, TERM_COUNT_MAX)(v) : null),
      expirationDate: (v, values) => {
        if (values.mode !== "DATE") return null;
        if (!v) return "New expiration date is required";
        if (!isDay(v)) return "Must be a date (YYYY-MM-DD)";
        const start = values.startDate || parentExpiry;
        if (start && v <= start) return `Must be after the renewal's start, ${formatDay(start)}`;
        if (parentExpiry && v <= parentExpiry) return `Must be after the current expiry, ${formatDay(parentExpiry)}`;
        return null;
      },
      startDate: (v) => {
        if (!v) return parentExpiry ? null : "Start date is required: this line item's expiry is set at its first activation";
        return isDay(v) ? null : "Must be a date (YYYY-MM-DD)";
      },
      numberOfCopies: wholeNumber(1, LIMITS.copiesMax),
    },
    validateInputOnChange: true,
  });
  const v = form.getValues();
  const submit = useLifecycleSubmit(
    form,
    (x: RenewValues) =>
      lifecycleApi.renew(e.id, li.id, {
        ...(x.mode === "TERM"
          ? { term: { count: Number(x.termCount), unit: x.termUnit } }
          : { expirationDate: x.expirationDate }),
        ...(x.startDate ? { startDate: x.startDate } : {}),
        numberOfCopies: Number(x.numberOfCopies),
      }),
    onDone,
    {
      term: "termCount",
      "term.count": "termCount",
      "term.unit": "termUnit",
      ...(v.mode === "TERM" ? { expirationDate: "termCount" } : { term: "expirationDate" }),
    },
  );
  const start = v.startDate && isDay(v.startDate) ? v.startDate : v.startDate ? null : parentExpiry;
  const end =
    start && v.mode === "TERM"
      ? Number.isInteger(Number(v.termCount)) && Number(v.termCount) >= 1
        ? addTerm(start, { count: Number(v.termCount), unit: v.termUnit })
        : null
      : v.mode === "DATE" && isDay(v.expirationDate)
        ? v.expirationDate
        : null;
  const n = Number(v.numberOfCopies);
  return (
    <LifecycleDialog title={`Renew line item ${li.activationId}`} submit={submit} label="Renew" onClose={onClose}>
      <LineItemSummary li={li} />
      <Text size="sm">
        Renewing adds a new RENEWAL line item with the same products and license model and later dates. This line item is kept as
        it is.
      </Text>
      <ModeRadio
        form={form}
        path="mode"
        label="Renew for"
        options={[
          { value: "TERM", label: "A term" },
          { value: "DATE", label: "Until a new expiration date" },
        ]}
      />
      {v.mode === "TERM" ? (
        <TermFields form={form} />
      ) : (
        <TextInput label="New expiration date" type="date" required w={220} {...form.getInputProps("expirationDate")} />
      )}
      <TextInput
        label="Start date"
        type="date"
        maw={420}
        description={
          parentExpiry
            ? `Optional: by default the renewal starts where the current expiry ends, ${formatDay(parentExpiry)}.`
            : "Required: this line item's expiry is only known after its first activation."
        }
        required={!parentExpiry}
        {...form.getInputProps("startDate")}
      />
      <NumberInput
        label="Number of copies"
        description={`Copies of the renewal; default ${formatCount(li.numberOfCopies)}, as now.`}
        min={1}
        allowDecimal={false}
        allowNegative={false}
        required
        w={220}
        {...form.getInputProps("numberOfCopies")}
      />
      {start && end && Number.isInteger(n) && n >= 1 && (
        <Alert color="blue" variant="light" icon={<IconInfoCircle size={18} />} data-testid="renew-preview">
          The renewal will run from {formatDay(start)} to {formatDay(end)} with {copies(n)}.
        </Alert>
      )}
    </LifecycleDialog>
  );
}

// ---------------------------------------------------------------------------------------------
// Upgrade…

interface UpgradeValues {
  productId: string | null;
  count: number | string;
  retireParent: boolean;
  licenseModelId: string | null;
}

/** The line item's license model if the target allows it, else the target's first. */
function defaultModel(li: LineItem, target: Product | undefined): string | null {
  if (!target) return null;
  if (li.licenseModelId && (target.licenseModelIds.length === 0 || target.licenseModelIds.includes(li.licenseModelId)))
    return li.licenseModelId;
  return target.licenseModelIds[0] ?? null;
}

/** Upgrade and upsell: a line item moves to (or adds) a related product. */
interface ProductChangeProps {
  e: Entitlement;
  li: LineItem;
  products: Map<string, Product>;
  onClose: () => void;
  onDone: (r: LifecycleResult) => void;
}

function UpgradeModal({ e, li, products, onClose, onDone }: ProductChangeProps) {
  const targetIds = targetIdsOf(li, products, "upgradeToIds");
  const targets = useProducts(targetIds);
  const total = li.numberOfCopies;
  const movable = total - li.fulfilledCount;
  const form = useForm<UpgradeValues>({
    initialValues: {
      productId: targetIds.length === 1 ? (targetIds[0] as string) : null,
      count: total,
      retireParent: true,
      licenseModelId: null,
    },
    validate: {
      productId: (v) => (v ? null : "Choose the product to upgrade to"),
      count: wholeNumber(1, total, ` (the line item has ${copies(total)})`),
    },
    validateInputOnChange: true,
  });
  const v = form.getValues();
  const target = v.productId ? targets.get(v.productId) : undefined;
  const model = v.licenseModelId ?? defaultModel(li, target);
  const n = Number(v.count);
  const all = n === total;
  const submit = useLifecycleSubmit(
    form,
    (x: UpgradeValues) =>
      lifecycleApi.upgrade(e.id, li.id, {
        productId: x.productId as string,
        count: Number(x.count),
        ...(Number(x.count) === total ? { retireParent: x.retireParent } : {}),
        ...(model && model !== li.licenseModelId ? { licenseModelId: model } : {}),
      }),
    onDone,
    { retireParent: "count" },
  );
  return (
    <LifecycleDialog title={`Upgrade line item ${li.activationId}`} submit={submit} label="Upgrade" onClose={onClose}>
      <LineItemSummary li={li} />
      <Text size="sm">
        Upgrading adds a new UPGRADE line item for a product set as an "upgrade to" of this one, with the same dates.
      </Text>
      <TargetProductFields
        form={form}
        li={li}
        target={target}
        model={model}
        options={targetOptions(targetIds, targets, e.state === "TEST")}
        label="Upgrade to"
        placeholder="Choose a product"
        required
        // An upgrade always has a target: clicking the chosen product again keeps it (and its license model).
        allowDeselect={false}
      />
      <NumberInput
        label="Copies to upgrade"
        description={`Default all ${formatCount(total)}${li.fulfilledCount ? `; ${formatCount(li.fulfilledCount)} fulfilled, so at most ${formatCount(movable)} can leave this line item` : ""}.`}
        min={1}
        max={total}
        allowDecimal={false}
        allowNegative={false}
        required
        w={360}
        {...form.getInputProps("count")}
      />
      <Checkbox
        label="Retire the original line item"
        description={
          all
            ? v.retireParent
              ? `Line item ${li.activationId} becomes OBSOLETE once all its copies are upgraded.`
              : `Line item ${li.activationId} is kept as it is, beside the upgrade.`
            : Number.isInteger(n) && n >= 1 && n < total
              ? `A partial upgrade keeps the original: line item ${li.activationId} keeps ${copies(total - n)}.`
              : "Only an upgrade of all copies retires the original."
        }
        disabled={!all}
        checked={all && v.retireParent}
        onChange={(ev) => form.setFieldValue("retireParent", ev.currentTarget.checked)}
      />
    </LifecycleDialog>
  );
}

// ---------------------------------------------------------------------------------------------
// Upsell…

interface UpsellValues {
  additionalCopies: number | string;
  productId: string | null;
  licenseModelId: string | null;
}

function UpsellModal({ e, li, products, onClose, onDone }: ProductChangeProps) {
  const targetIds = targetIdsOf(li, products, "upsellToIds");
  const targets = useProducts(targetIds);
  const form = useForm<UpsellValues>({
    initialValues: { additionalCopies: "", productId: null, licenseModelId: null },
    validate: {
      additionalCopies: (x) => (x === "" ? null : wholeNumber(1, LIMITS.copiesMax)(x)),
    },
    validateInputOnChange: true,
  });
  const v = form.getValues();
  const target = v.productId ? targets.get(v.productId) : undefined;
  const model = v.licenseModelId ?? defaultModel(li, target);
  const n = v.additionalCopies === "" ? li.numberOfCopies : Number(v.additionalCopies);
  const submit = useLifecycleSubmit(
    form,
    (x: UpsellValues) =>
      lifecycleApi.upsell(e.id, li.id, {
        ...(x.additionalCopies !== "" ? { additionalCopies: Number(x.additionalCopies) } : {}),
        ...(x.productId ? { productId: x.productId } : {}),
        ...(x.productId && model && model !== li.licenseModelId ? { licenseModelId: model } : {}),
      }),
    onDone,
  );
  const names = li.products.map((p) => `${p.name} ${p.version}`).join(", ");
  return (
    <LifecycleDialog title={`Upsell line item ${li.activationId}`} submit={submit} label="Upsell" onClose={onClose}>
      <LineItemSummary li={li} />
      <Text size="sm">
        Upselling adds a new UPSELL line item beside this one: more copies of the same products, or copies of an upsell product
        that adds features. This line item is kept as it is.
      </Text>
      <NumberInput
        label="Additional copies"
        placeholder={String(li.numberOfCopies)}
        description={`Copies of the new line item; default ${formatCount(li.numberOfCopies)}, as many as this one.`}
        min={1}
        allowDecimal={false}
        allowNegative={false}
        w={360}
        {...form.getInputProps("additionalCopies")}
      />
      <TargetProductFields
        form={form}
        li={li}
        target={target}
        model={model}
        options={targetOptions(targetIds, targets, e.state === "TEST")}
        label="Upsell product"
        placeholder={`None: more copies of ${names}`}
        description={
          targetIds.length
            ? 'Optional: a product set as an "upsell to" of this line item\'s products.'
            : `No product is set as an "upsell to" of ${names}; the upsell adds copies of the same products.`
        }
        clearable
        disabled={targetIds.length === 0}
      />
      {Number.isInteger(n) && n >= 1 && (
        <Alert color="blue" variant="light" icon={<IconInfoCircle size={18} />}>
          Adds {copies(n)} of {target ? productLabel(target) : names}.
        </Alert>
      )}
    </LifecycleDialog>
  );
}

// ---------------------------------------------------------------------------------------------
// Transfer copies…

interface TransferCopiesValues {
  accountId: string | null;
  count: number | string;
  keepIds: boolean;
}

function TransferCopiesModal({
  e,
  li,
  onClose,
  onDone,
}: {
  e: Entitlement;
  li: LineItem;
  onClose: () => void;
  onDone: (r: TransferResult) => void;
}) {
  const total = li.numberOfCopies;
  const movable = li.availableCount;
  const form = useForm<TransferCopiesValues>({
    initialValues: { accountId: null, count: movable, keepIds: false },
    validate: {
      accountId: (x) => (x ? null : "Choose the account that receives the copies"),
      count: wholeNumber(1, movable, ` (${copies(movable)} ${movable === 1 ? "is" : "are"} unfulfilled)`),
    },
    validateInputOnChange: true,
  });
  const v = form.getValues();
  const n = Number(v.count);
  const all = n === total;
  const submit = useLifecycleSubmit(
    form,
    (x: TransferCopiesValues) =>
      lifecycleApi.transferLineItem(e.id, li.id, {
        accountId: x.accountId as string,
        count: Number(x.count),
        ...(Number(x.count) === total ? { keepIds: x.keepIds } : {}),
      }),
    onDone,
    { keepIds: "count" },
  );
  return (
    <LifecycleDialog
      title={`Transfer copies of line item ${li.activationId}`}
      submit={submit}
      label="Transfer copies"
      onClose={onClose}
    >
      <LineItemSummary li={li} />
      <Text size="sm">
        The copies move into a new entitlement of the account you choose (its End Customer and current owner), with the same
        configuration and dates. Only unfulfilled copies can move; return fulfillments first to move more.
      </Text>
      <ToAccountSelect form={form} e={e} />
      <NumberInput
        label="Copies"
        description={`${formatCount(movable)} of ${copies(total)} unfulfilled and can move.`}
        min={1}
        max={movable}
        allowDecimal={false}
        allowNegative={false}
        required
        w={360}
        {...form.getInputProps("count")}
      />
      {all && (
        <Checkbox
          label="Keep activation ID"
          description={
            v.keepIds
              ? `The moved copies keep activation ID ${li.activationId}; this line item is renamed ${li.activationId}-TRANSFERRED-<timestamp> and becomes OBSOLETE.`
              : "The moved copies get a new activation ID; this line item becomes OBSOLETE."
          }
          {...form.getInputProps("keepIds", { type: "checkbox" })}
        />
      )}
      {Number.isInteger(n) && n >= 1 && n < total && (
        <Text size="sm" c="dimmed">
          Line item {li.activationId} keeps {copies(total - n)}; the moved copies get a new activation ID.
        </Text>
      )}
    </LifecycleDialog>
  );
}

// ---------------------------------------------------------------------------------------------
// Transfer… (the whole entitlement)

interface TransferValues {
  accountId: string | null;
  keepIds: boolean;
}

function TransferModal({ e, onClose, onDone }: { e: Entitlement; onClose: () => void; onDone: (r: TransferResult) => void }) {
  const form = useForm<TransferValues>({
    initialValues: { accountId: null, keepIds: true },
    validate: { accountId: (x) => (x ? null : "Choose the account that receives the entitlement") },
    validateInputOnChange: true,
  });
  const v = form.getValues();
  const moving = e.lineItems.filter((li) => li.state !== "OBSOLETE");
  const used = moving.filter((li) => li.fulfilledCount > 0);
  const submit = useLifecycleSubmit(
    form,
    (x: TransferValues) => lifecycleApi.transfer(e.id, { accountId: x.accountId as string, keepIds: x.keepIds }),
    onDone,
  );
  return (
    <LifecycleDialog
      title={`Transfer entitlement ${e.entitlementId}`}
      submit={submit}
      label="Transfer"
      onClose={onClose}
      disabled={used.length > 0}
    >
      <Alert color="blue" variant="light" icon={<IconInfoCircle size={18} />} title="What a transfer does">
        <List size="sm" spacing={4}>
          <List.Item>
            A new entitlement is created for the account you choose, as its End Customer and current owner, with this
            entitlement's header and its {moving.length === 1 ? "line item" : `${moving.length} line items`} (obsolete ones stay
            behind).
          </List.Item>
          <List.Item>
            This entitlement becomes <b>OBSOLETE</b>, with its line items. This cannot be undone.
          </List.Item>
          <List.Item>Fulfillments must be returned first: an entitlement with fulfilled copies cannot be transferred.</List.Item>
        </List>
      </Alert>
      {used.length > 0 && (
        <Alert color="orange" variant="light" icon={<IconAlertCircle size={18} />} title="Return the fulfillments first">
          {used.map((li) => `Line item ${li.activationId} has ${copies(li.fulfilledCount)} fulfilled.`).join(" ")} Return them,
          then transfer; or move the unfulfilled copies with Transfer copies… on the line item.
        </Alert>
      )}
      <ToAccountSelect form={form} e={e} />
      <Checkbox
        label="Keep entitlement and activation IDs"
        description={
          v.keepIds
            ? `The new entitlement keeps ${e.entitlementId} and its activation IDs; this one is renamed ${e.entitlementId}-TRANSFERRED-<timestamp> and becomes OBSOLETE.`
            : "The new entitlement and its line items get newly generated IDs; this one keeps its IDs."
        }
        {...form.getInputProps("keepIds", { type: "checkbox" })}
      />
    </LifecycleDialog>
  );
}

// ---------------------------------------------------------------------------------------------
// The hook the entitlement page uses

type Dialog =
  | { kind: "renew" | "upgrade" | "upsell" | "transferCopies"; lineItemId: string }
  | { kind: "transfer" }
  | { kind: "split"; lineItemId?: string }
  | { kind: "lineage"; lineItemId: string; activationId: string };

/**
 * Everything the entitlement page needs for lifecycle operations. Call it unconditionally (before
 * the page's early returns); `e` may still be loading.
 */
export function useLifecycleActions(
  e: Entitlement | undefined,
  { canWrite, onUpdated }: { canWrite: boolean; onUpdated: (next: Entitlement) => void },
) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [highlight, setHighlight] = useState<string | null>(null);
  const simple = e?.kind === "SIMPLE";
  const products = useProducts(
    simple && canWrite ? unique(e.lineItems.flatMap((li) => li.products.map((p) => p.productId))) : [],
  );

  useEffect(() => {
    if (!highlight) return;
    document
      .querySelector(`[data-line-item-id="${CSS.escape(highlight)}"]`)
      ?.scrollIntoView({ block: "center", behavior: "smooth" });
    const t = setTimeout(() => setHighlight(null), 12_000);
    return () => clearTimeout(t);
  }, [highlight]);

  const close = () => setDialog(null);
  const lineItemOf = (id: string) => e?.lineItems.find((li) => li.id === id);
  const refreshLineage = () => qc.invalidateQueries({ queryKey: [...keys.entitlements, "lineage"] });
  const refreshHistory = (id: string) => qc.invalidateQueries({ queryKey: [...keys.entitlements, "history", id] });

  const grown = (verb: string) => (r: LifecycleResult) => {
    onUpdated(r.entitlement);
    refreshLineage();
    refreshHistory(r.entitlement.id);
    setHighlight(r.lineItem.id);
    close();
    notifications.show({
      color: "green",
      title: `Line item ${verb}`,
      message: `New ${r.lineItem.lineItemType?.toLowerCase() ?? ""} line item ${r.lineItem.activationId} with ${copies(r.lineItem.numberOfCopies)}.`,
    });
  };
  const openEntitlement = (target: Entitlement) => (
    <Anchor
      href={entitlementPath(target.id)}
      size="sm"
      ff="monospace"
      onClick={(ev) => {
        ev.preventDefault();
        navigate(entitlementPath(target.id));
      }}
    >
      {target.entitlementId}
    </Anchor>
  );

  const offers = (li: LineItem) => simple && (canWrite || !!li.parentLineItemId);
  const splitDone = (r: SplitResult) => {
    onUpdated(r.source);
    qc.setQueryData([...keys.entitlements, "detail", r.entitlement.id], r.entitlement);
    qc.invalidateQueries({ queryKey: keys.entitlements });
    qc.invalidateQueries({ queryKey: [...keys.webRegisterKeys, r.source.id] });
    refreshLineage();
    refreshHistory(r.source.id);
  };

  const menuItems = (li: LineItem, { divider }: { divider: boolean }): ReactNode => {
    if (!e || !simple) return null;
    const grow = canWrite && canGrow(e, li);
    const upgradable = grow && li.products.some((p) => (products.get(p.productId)?.upgradeToIds.length ?? 0) > 0);
    const transferable = canWrite && canTransferCopies(e, li);
    return (
      <>
        <Menu.Label>Lifecycle</Menu.Label>
        {grow &&
          (li.isPermanent ? (
            <Tooltip label="A permanent line item never expires; there is nothing to renew." position="left" withArrow>
              <Menu.Item
                leftSection={<IconRefresh size={14} />}
                data-disabled
                aria-disabled
                closeMenuOnClick={false}
                onClick={(ev) => ev.preventDefault()}
                rightSection={<IconInfoCircle size={14} />}
              >
                Renew…
              </Menu.Item>
            </Tooltip>
          ) : (
            <Menu.Item leftSection={<IconRefresh size={14} />} onClick={() => setDialog({ kind: "renew", lineItemId: li.id })}>
              Renew…
            </Menu.Item>
          ))}
        {upgradable && (
          <Menu.Item leftSection={<IconArrowUp size={14} />} onClick={() => setDialog({ kind: "upgrade", lineItemId: li.id })}>
            Upgrade…
          </Menu.Item>
        )}
        {grow && (
          <Menu.Item leftSection={<IconPlus size={14} />} onClick={() => setDialog({ kind: "upsell", lineItemId: li.id })}>
            Upsell…
          </Menu.Item>
        )}
        {canWrite && canSplit(e, li) && (
          <Menu.Item leftSection={<IconArrowsSplit size={14} />} onClick={() => setDialog({ kind: "split", lineItemId: li.id })}>
            Split…
          </Menu.Item>
        )}
        {transferable && (
          <Menu.Item
            leftSection={<IconArrowsExchange size={14} />}
            onClick={() => setDialog({ kind: "transferCopies", lineItemId: li.id })}
          >
            Transfer copies…
          </Menu.Item>
        )}
        <Menu.Item
          leftSection={<IconBinaryTree size={14} />}
          onClick={() => setDialog({ kind: "lineage", lineItemId: li.id, activationId: li.activationId })}
        >
          Lineage
        </Menu.Item>
        {divider && <Menu.Divider />}
      </>
    );
  };

  const headerAction =
    e && canWrite && canTransfer(e) ? (
      <Button variant="default" leftSection={<IconTransfer size={16} />} onClick={() => setDialog({ kind: "transfer" })}>
        Transfer…
      </Button>
    ) : e && canWrite && canSplit(e) ? (
      <Button variant="default" leftSection={<IconArrowsSplit size={16} />} onClick={() => setDialog({ kind: "split" })}>
        Split…
      </Button>
    ) : null;

  /** Props of a line item's table row: an anchor for scrolling and the highlight of a just-made line item. */
  const rowProps = (li: LineItem) => ({
    "data-line-item-id": li.id,
    ...(highlight === li.id
      ? {
          "data-highlighted": true,
          style: {
            background: "var(--mantine-color-yellow-1)",
            boxShadow: "inset 3px 0 0 var(--mantine-color-yellow-6)",
            transition: "background 600ms",
          },
        }
      : {}),
  });

  /** "renewal of …" / "upgrade of …" under the activation ID of a line item that has a parent. */
  const parentHint = (li: LineItem): ReactNode => {
    if (!e || !li.parentLineItemId) return null;
    const parent = e.lineItems.find((x) => x.id === li.parentLineItemId);
    const words = parent ? (PARENT_WORDS[li.lineItemType ?? ""] ?? "derived from") : "transferred from another entitlement ·";
    return (
      <Text size="xs" c="dimmed" ff="text" data-testid="parent-hint">
        {words}{" "}
        <Anchor
          component="button"
          type="button"
          size="xs"
          ff={parent ? "monospace" : "text"}
          style={{ display: "inline", textAlign: "left", verticalAlign: "baseline" }}
          title={`Lineage of line item ${li.activationId}`}
          onClick={() => setDialog({ kind: "lineage", lineItemId: li.id, activationId: li.activationId })}
        >
          {parent ? parent.activationId : "Lineage"}
        </Anchor>
      </Text>
    );
  };

  const current = dialog && "lineItemId" in dialog && dialog.lineItemId ? lineItemOf(dialog.lineItemId) : undefined;
  let dialogs: ReactNode = null;
  if (e && dialog) {
    if (dialog.kind === "lineage")
      dialogs = (
        <LineageDrawer
          entitlementPk={e.id}
          lineItem={{ id: dialog.lineItemId, activationId: dialog.activationId }}
          onClose={close}
        />
      );
    else if (dialog.kind === "split")
      dialogs = <SplitDialog e={e} {...(current ? { li: current } : {})} onClose={close} onDone={splitDone} />;
    else if (dialog.kind === "transfer")
      dialogs = (
        <TransferModal
          e={e}
          onClose={close}
          onDone={(r) => {
            qc.setQueryData([...keys.entitlements, "detail", r.source.id], r.source);
            qc.setQueryData([...keys.entitlements, "detail", r.entitlement.id], r.entitlement);
            qc.invalidateQueries({ queryKey: keys.entitlements });
            close();
            notifications.show({
              color: "green",
              title: "Entitlement transferred",
              message: `Now ${r.entitlement.entitlementId}, held by ${r.entitlement.soldTo ?? "the new account"}. The source ${r.source.entitlementId} is OBSOLETE.`,
            });
            navigate(entitlementPath(r.entitlement.id));
          }}
        />
      );
    else if (current && dialog.kind === "renew")
      dialogs = <RenewModal e={e} li={current} onClose={close} onDone={grown("renewed")} />;
    else if (current && dialog.kind === "upgrade")
      dialogs = <UpgradeModal e={e} li={current} products={products} onClose={close} onDone={grown("upgraded")} />;
    else if (current && dialog.kind === "upsell")
      dialogs = <UpsellModal e={e} li={current} products={products} onClose={close} onDone={grown("upsold")} />;
    else if (current && dialog.kind === "transferCopies")
      dialogs = (
        <TransferCopiesModal
          e={e}
          li={current}
          onClose={close}
          onDone={(r) => {
            onUpdated(r.source);
            qc.setQueryData([...keys.entitlements, "detail", r.entitlement.id], r.entitlement);
            refreshLineage();
            refreshHistory(r.source.id);
            setHighlight(current.id);
            close();
            const moved = r.entitlement.lineItems[0];
            notifications.show({
              color: "green",
              title: "Copies transferred",
              autoClose: 12_000,
              message: (
                <>
                  {moved ? `${copies(moved.numberOfCopies)} moved` : "Moved"} to {r.entitlement.soldTo ?? "the account"} as
                  entitlement {openEntitlement(r.entitlement)}.
                </>
              ),
            });
          }}
        />
      );
  }

  return { offers, menuItems, headerAction, rowProps, parentHint, dialogs };
}
