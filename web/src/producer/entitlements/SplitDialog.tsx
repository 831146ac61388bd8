import {
  Alert,
  Anchor,
  Button,
  Group,
  List,
  Modal,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  Textarea,
  TextInput,
} from "@mantine/core";
import { IconAlertCircle, IconCircleCheck } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Link } from "react-router-dom";
import type { Entitlement, LineItem } from "../../../../common/src/api/entitlements";
import { errorMessage, isApiError } from "../../api/client";
import { keys, partnerTiersApi, webRegisterKeysApi } from "../../api/endpoints";
import { partnerApi } from "../../api/partner";
import { type SplitResult, splitsApi } from "../../api/splits";
import { formatCount } from "../../lib/format";
import { entitlementPath } from "./model";
import { keyCountsKey } from "./WebRegisterKeys";

/**
 * Split… (PRODUCT.md §3, FNO splitBulkEntitlement / splitLineItem): N unredeemed keys of a bulk
 * entitlement — or part of a line item's available copies — move from the current owner to one of
 * its related accounts, in a tier not yet on the entitlement, into a matching entitlement of that
 * account or a new one. The server decides; its refusal is shown in its words.
 */

/** Split is offered on a DEPLOYED bulk entitlement, and on a DEPLOYED line item with available copies. */
export const canSplit = (e: Entitlement, li?: LineItem) =>
  e.state === "DEPLOYED" &&
  e.channelPartners.some((p) => p.currentOwner) &&
  (li ? e.kind === "SIMPLE" && li.state === "DEPLOYED" && li.availableCount > 0 : e.kind === "BULK");

const NEW = "__new__";

export function SplitDialog({
  e,
  li,
  onClose,
  onDone,
  pathOf = entitlementPath,
}: {
  e: Entitlement;
  /** The line item to split; without it, the bulk entitlement's keys. */
  li?: LineItem;
  onClose: () => void;
  onDone: (r: SplitResult) => void;
  /** Where an entitlement's page is in this portal (the producer's by default; the partner portal passes its own). */
  pathOf?: (id: string) => string;
}) {
  const owner = e.channelPartners.find((p) => p.currentOwner);
  const [accountId, setAccountId] = useState<string | null>(null);
  const [tier, setTier] = useState<string | null>(null);
  const [mode, setMode] = useState<"count" | "keys">("count");
  const [count, setCount] = useState<number | string>(1);
  const [keyText, setKeyText] = useState("");
  const [target, setTarget] = useState<string>(NEW);
  const [targetId, setTargetId] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<SplitResult | null>(null);

  // One read of the owner's related accounts with their names: partners may not read those accounts themselves.
  const ownerAccount = useQuery({
    queryKey: [...keys.accounts, "related", owner?.accountId],
    queryFn: () => partnerApi.relatedAccounts(owner?.accountId as string),
    enabled: !!owner,
  });
  const related = ownerAccount.data?.items ?? [];
  const tiers = useQuery({ queryKey: keys.partnerTiers, queryFn: () => partnerTiersApi.list() });
  const taken = new Set(e.channelPartners.map((p) => p.tier));
  const matching = useQuery({
    queryKey: [...keys.entitlements, "matching-bulk", e.id, accountId],
    queryFn: () => splitsApi.matchingBulk(e.id, accountId as string),
    enabled: !li && !!accountId,
  });

  const keyList = keyText
    .split(/[\s,;]+/)
    .map((k) => k.trim())
    .filter(Boolean);
  const counts = useQuery({ queryKey: keyCountsKey(e.id), queryFn: () => webRegisterKeysApi.counts(e.id), enabled: !li });
  const max = li ? li.availableCount : counts.data?.unredeemed;

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const errs: Record<string, string> = {};
    if (!accountId) errs.targetAccountId = "Choose the related account that receives them";
    if (!tier) errs.tier = "Choose the target's tier";
    const n = Number(count);
    if ((li || mode === "count") && (!Number.isInteger(n) || n < 1 || (max !== undefined && n > max)))
      errs.count = `A whole number from 1${max !== undefined ? ` to ${formatCount(max)}` : ""}`;
    if (!li && mode === "keys" && keyList.length === 0) errs.keys = "Paste at least one key";
    setFieldErrors(errs);
    setProblem(null);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      const common = {
        targetAccountId: accountId as string,
        tier: tier as string,
        ...(li
          ? targetId.trim()
            ? { targetEntitlementId: targetId.trim() }
            : {}
          : target !== NEW
            ? { targetEntitlementId: target }
            : {}),
      };
      const r = li
        ? await splitsApi.splitLineItem(e.id, li.id, { ...common, count: n })
        : await splitsApi.splitBulk(e.id, mode === "count" ? { ...common, count: n } : { ...common, keys: keyList });
      setResult(r);
      onDone(r);
    } catch (err) {
      if (isApiError(err) && err.fieldErrors.length) {
        const map: Record<string, string> = {};
        for (const f of err.fieldErrors) map[f.field.startsWith("keys") ? "keys" : f.field] = f.message;
        setFieldErrors(map);
        const shown = ["targetAccountId", "tier", "count", "keys", "targetEntitlementId"];
        const rest = err.fieldErrors.filter((f) => !shown.includes(f.field.startsWith("keys") ? "keys" : f.field));
        setProblem(rest.length || err.status !== 400 ? errorMessage(err) : null);
      } else setProblem(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const title = li ? `Split line item ${li.activationId}` : `Split bulk entitlement ${e.entitlementId}`;
  if (result)
    return (
      <Modal opened onClose={onClose} title={title} size="lg">
        <Stack>
          <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} title="Split done">
            {formatCount(result.moved)} {li ? "copies" : "unredeemed keys"} moved to account {accountId} in{" "}
            {result.created ? "the new" : "the matching"} entitlement{" "}
            <Anchor component={Link} to={pathOf(result.entitlement.id)} ff="monospace" onClick={onClose}>
              {result.entitlement.entitlementId}
            </Anchor>
            .
          </Alert>
          <List size="sm">
            <List.Item>
              Source{" "}
              <Anchor component={Link} to={pathOf(result.source.id)} ff="monospace" onClick={onClose}>
                {result.source.entitlementId}
              </Anchor>{" "}
              now{" "}
              {li
                ? `has ${formatCount(result.source.lineItems.find((x) => x.id === li.id)?.numberOfCopies ?? 0)} copies on this line item`
                : "holds the rest of the keys"}
              .
            </List.Item>
          </List>
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      </Modal>
    );

  return (
    <Modal opened onClose={onClose} title={title} size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          <Text size="sm">
            {li
              ? `Available copies (never fulfilled ones) move from the current owner ${owner?.accountName ?? ""} to a related account in another tier.`
              : `Unredeemed keys move from the current owner ${owner?.accountName ?? ""} to a related account in another tier; redeemed keys never move.`}
          </Text>
          <Select
            label="Target account"
            description="Accounts related to the current owner"
            required
            searchable
            data={related.map((a) => ({ value: a.id, label: `${a.name} (${a.id})` }))}
            value={accountId}
            onChange={(v) => {
              setAccountId(v);
              setTarget(NEW);
            }}
            nothingFoundMessage="No related account"
            error={
              fieldErrors.targetAccountId ??
              (ownerAccount.isSuccess && related.length === 0
                ? "The current owner has no related accounts; relate one first."
                : undefined)
            }
          />
          <Select
            label="Tier"
            required
            data={(tiers.data?.items ?? [])
              .filter((t) => !taken.has(t.name))
              .map((t) => ({ value: t.name, label: t.displayName }))}
            value={tier}
            onChange={setTier}
            error={fieldErrors.tier}
          />
          {!li && (
            <SegmentedControl
              value={mode}
              onChange={(v) => setMode(v as "count" | "keys")}
              data={[
                { value: "count", label: "How many (oldest first)" },
                { value: "keys", label: "Paste keys" },
              ]}
            />
          )}
          {li || mode === "count" ? (
            <NumberInput
              label={li ? "Copies" : "Keys"}
              description={max !== undefined ? `${formatCount(max)} ${li ? "available" : "unredeemed"}` : undefined}
              min={1}
              max={max}
              allowDecimal={false}
              allowNegative={false}
              required
              w={360}
              value={count}
              onChange={setCount}
              error={fieldErrors.count}
            />
          ) : (
            <Textarea
              label="Keys"
              description={`${formatCount(keyList.length)} key${keyList.length === 1 ? "" : "s"}, one per line (or separated by spaces or commas)`}
              autosize
              minRows={4}
              maxRows={12}
              value={keyText}
              onChange={(ev) => setKeyText(ev.currentTarget.value)}
              error={fieldErrors.keys}
            />
          )}
          {li ? (
            <TextInput
              label="Into an entitlement of the target (optional)"
              description="The ID of its DEPLOYED entitlement with a matching line item; empty: a new entitlement."
              value={targetId}
              onChange={(ev) => setTargetId(ev.currentTarget.value)}
              error={fieldErrors.targetEntitlementId}
            />
          ) : (
            <Select
              label="Into"
              description="A DEPLOYED bulk entitlement of the target with the same product configuration, or a new one"
              data={[
                { value: NEW, label: "A new bulk entitlement" },
                ...(matching.data?.items ?? []).map((m) => ({ value: m.id, label: `${m.entitlementId} (matching)` })),
              ]}
              value={target}
              onChange={(v) => setTarget(v ?? NEW)}
              allowDeselect={false}
              error={fieldErrors.targetEntitlementId}
            />
          )}
          {problem && (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Refused" role="alert">
              {problem}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Split
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
