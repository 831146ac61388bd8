import { Alert, Anchor, Button, Group, List, Modal, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconAlertCircle, IconArrowMerge, IconCircleCheck, IconInfoCircle } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router-dom";
import type { Account } from "../../../common/src/api/accounts";
import { errorMessage, isApiError } from "../api/client";
import { entitlementsApi, keys } from "../api/endpoints";
import { lifecycleApi, type MergeResult } from "../api/lifecycle";
import { AccountSelect } from "../components/AccountSelect";
import { formatCount } from "../lib/format";
import { entitlementPath } from "./entitlements/model";

const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;

/**
 * "Merge entitlements into…" on an account page (FNO mergeEntitlements): every channel-partner
 * row of this account moves to the account picked, tier and current owner unchanged (that account
 * may then hold two tiers of one entitlement). Shows how many entitlements are involved before, and
 * the result after.
 */
export function MergeEntitlementsButton({ account }: { account: Account }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="default" leftSection={<IconArrowMerge size={16} />} onClick={() => setOpen(true)}>
        Merge entitlements into…
      </Button>
      {open && <MergeEntitlementsModal account={account} onClose={() => setOpen(false)} />}
    </>
  );
}

function MergeEntitlementsModal({ account, onClose }: { account: Account; onClose: () => void }) {
  const qc = useQueryClient();
  const [into, setInto] = useState<{ id: string; name: string } | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ title: string; message: string } | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const [result, setResult] = useState<MergeResult | null>(null);
  const involved = useQuery({
    queryKey: [...keys.entitlements, "count", { accountId: account.id }],
    queryFn: () => entitlementsApi.count({ accountId: account.id }),
  });
  const n = involved.data?.count;
  const sample = useQuery({
    queryKey: [...keys.entitlements, "list", { accountId: account.id }, null, 5],
    queryFn: () => entitlementsApi.list({ accountId: account.id, limit: 5 }),
  });

  const merge = async () => {
    if (!into) return;
    setBusy(true);
    setProblem(null);
    setFieldError(null);
    try {
      const r = await lifecycleApi.mergeEntitlements(account.id, into.id);
      setResult(r);
      qc.invalidateQueries({ queryKey: keys.entitlements });
      qc.invalidateQueries({ queryKey: keys.accounts });
      notifications.show({
        color: "green",
        message: `${plural(r.count, "entitlement")} of ${account.id} merged into ${r.intoAccountId}.`,
      });
    } catch (e) {
      setConfirming(false);
      if (isApiError(e) && e.status === 400 && e.field === "intoAccountId") setFieldError(e.fieldErrors[0]?.message ?? e.message);
      else setProblem({ title: isApiError(e) && e.status === 409 ? "Refused" : "Could not merge", message: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const title = `Merge entitlements of ${account.name}`;
  if (result)
    return (
      <Modal opened onClose={onClose} title={title} size="lg">
        <Stack>
          <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} title="Merged" data-testid="merge-result">
            <Text size="sm">
              {plural(result.count, "entitlement")} changed: {plural(result.movedTiers, "partner tier")} moved from{" "}
              {result.fromAccountId} to {result.intoAccountId}.
            </Text>
          </Alert>
          <Group justify="flex-end">
            <Button
              component={Link}
              to={`/accounts/${encodeURIComponent(result.intoAccountId)}`}
              variant="default"
              onClick={onClose}
            >
              Open {result.intoAccountId}
            </Button>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      </Modal>
    );

  return (
    <Modal opened onClose={onClose} title={title} size="lg">
      <Stack>
        <Alert color="blue" variant="light" icon={<IconInfoCircle size={18} />}>
          <List size="sm" spacing={4}>
            <List.Item>
              Every entitlement where {account.name} ({account.id}) holds a channel-partner tier moves to the account you choose:
              its tier rows, current ownership and Sold To follow.
            </List.Item>
            <List.Item>
              Where that account already holds another tier on an entitlement, it keeps it and holds both: no tier is lost.
            </List.Item>
            <List.Item>Redeemed keys sold to {account.id} now name the chosen account. The accounts themselves stay.</List.Item>
          </List>
        </Alert>
        <Text size="sm" data-testid="merge-involved">
          {n === undefined
            ? "Counting the entitlements involved…"
            : n === 0
              ? `${account.id} holds no entitlements: there is nothing to merge.`
              : `${plural(n, "entitlement")} ${n === 1 ? "involves" : "involve"} ${account.id}`}
          {!!n && sample.data && sample.data.items.length > 0 && `${n > sample.data.items.length ? ", for example" : ":"} `}
          {!!n &&
            sample.data?.items.map((e, i) => (
              <span key={e.id}>
                {i > 0 && ", "}
                <Anchor component={Link} to={entitlementPath(e.id)} size="sm" ff="monospace" onClick={onClose}>
                  {e.entitlementId}
                </Anchor>
              </span>
            ))}
          {!!n && "."}
        </Text>
        <AccountSelect
          label="Into account"
          required
          value={into?.id ?? null}
          onChange={(a) => {
            setInto(a ? { id: a.id, name: a.name } : null);
            setConfirming(false);
            setFieldError(null);
          }}
          exclude={[account.id]}
          error={fieldError}
        />
        {problem && (
          <Alert
            color="red"
            variant="light"
            icon={<IconAlertCircle size={18} />}
            title={problem.title}
            withCloseButton
            onClose={() => setProblem(null)}
            role="alert"
          >
            {problem.message}
          </Alert>
        )}
        {confirming && into && (
          <Alert color="orange" variant="light" icon={<IconAlertCircle size={18} />} title="Confirm the merge">
            Move {n === undefined ? "the" : plural(n, "entitlement")} of {account.name} ({account.id}) to {into.name} ({into.id})?
            This cannot be undone automatically.
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          {confirming ? (
            <Button color="orange" loading={busy} onClick={merge}>
              Merge {n === undefined ? "" : plural(n, "entitlement")}
            </Button>
          ) : (
            <Button disabled={!into || n === 0} onClick={() => setConfirming(true)}>
              Merge…
            </Button>
          )}
        </Group>
      </Stack>
    </Modal>
  );
}
