import { Alert, Button, Group, Paper, Select, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertCircle, IconKey } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import type { RedeemResult } from "../../../common/src/api/redemptions";
import { keys, redemptionsApi } from "../api/endpoints";
import { useSession } from "../auth/session";
import { applyApiError } from "../components/FormErrors";
import { PageHeader } from "../components/Page";
import { orNull } from "../lib/format";
import {
  emptyKey,
  KeyInput,
  type KeyValue,
  keyFromText,
  keyProblem,
  keyToSend,
  redeemRefusal,
  TooManyAttempts,
  useCountdown,
} from "./keyEntry";
import { portalEntitlementPath, type RedeemNotice } from "./paths";

interface Values {
  key: KeyValue;
  soldTo: string | null;
  owner: string;
}

/** Register a key (portal): the key becomes an entitlement of the user's account. */
export function PortalRegisterKeyPage() {
  const s = useSession();
  const [params] = useSearchParams();
  const initialKey = params.get("key") ?? "";
  const navigate = useNavigate();
  const qc = useQueryClient();
  const countdown = useCountdown();
  const [failure, setFailure] = useState<{ title: string; message: string } | null>(null);
  const accounts = [...new Map(s.user.memberships.map((m) => [m.accountId, m.accountName])).entries()];
  const form = useForm<Values>({
    initialValues: {
      key: initialKey ? keyFromText(initialKey) : emptyKey(),
      soldTo: accounts[0]?.[0] ?? null,
      owner: "",
    },
    validate: {
      key: keyProblem,
      soldTo: (v) => (accounts.length > 1 && !v ? "Choose the account to register the key to" : null),
      owner: (v) => (v.length > 255 ? "Must be at most 255 characters" : null),
    },
  });
  const redeem = useMutation({
    mutationFn: (v: Values) =>
      redemptionsApi.redeem({
        key: keyToSend(v.key),
        soldTo: accounts.length > 1 ? v.soldTo : undefined,
        owner: orNull(v.owner),
      }),
    onSuccess: (r: RedeemResult) => {
      qc.invalidateQueries({ queryKey: keys.entitlements });
      qc.setQueryData([...keys.entitlements, "detail", r.entitlement.id], r.entitlement);
      const notice: RedeemNotice = { kind: r.created ? "registered" : "already", entitlementId: r.entitlement.entitlementId };
      navigate(portalEntitlementPath(r.entitlement.id), { state: { notice } });
    },
    onError: (e) => {
      const r = redeemRefusal(e);
      if (r.retryAfter) countdown.start(r.retryAfter);
      else if (r.field === "key") form.setFieldError("key", r.message);
      else if (r.fieldErrors) {
        const general = applyApiError(form, e);
        if (general) setFailure({ title: r.title, message: general });
      } else setFailure({ title: r.title, message: r.message });
    },
  });
  const only = accounts.length === 1 ? accounts[0] : undefined;
  return (
    <>
      <PageHeader
        title="Register a key"
        description={
          only
            ? `Enter the key from your key card or email. It becomes an entitlement of ${only[1]}.`
            : "Enter the key from your key card or email. It becomes an entitlement of the account you choose."
        }
      />
      <Paper withBorder radius="md" p="lg">
        <form
          noValidate
          onSubmit={form.onSubmit(
            (v) => {
              setFailure(null);
              redeem.mutate(v);
            },
            () => setFailure(null),
          )}
        >
          <Stack maw={520}>
            <KeyInput
              value={form.values.key}
              onChange={(k) => {
                form.setFieldValue("key", k);
                setFailure(null);
              }}
              onBlur={() => form.values.key.value.trim() && form.validateField("key")}
              error={form.errors.key}
              autoFocus={!initialKey}
            />
            {accounts.length > 1 && (
              <Select
                label="Account"
                required
                data={accounts.map(([id, name]) => ({ value: id, label: `${name} (${id})` }))}
                allowDeselect={false}
                {...form.getInputProps("soldTo")}
              />
            )}
            <TextInput
              label="Owner (person)"
              description="Who uses this software, for your records (optional)"
              placeholder={`${s.user.firstName} ${s.user.lastName}`.trim()}
              {...form.getInputProps("owner")}
            />
            <TooManyAttempts seconds={countdown.remaining} />
            {failure && (
              <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={failure.title} role="alert">
                {failure.message}
              </Alert>
            )}
            <Group>
              <Button
                type="submit"
                loading={redeem.isPending}
                disabled={countdown.remaining > 0}
                leftSection={<IconKey size={16} />}
              >
                Register
              </Button>
            </Group>
            <Text size="xs" c="dimmed">
              A key from a key card looks like XXXXX-XXXXX-XXXXX-XXXXX-XXXXX; type it in capitals or not, the dashes appear on
              their own.
            </Text>
          </Stack>
        </form>
      </Paper>
    </>
  );
}
