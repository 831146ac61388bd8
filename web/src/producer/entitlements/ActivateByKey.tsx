import { Alert, Anchor, Button, Group, Modal, Stack, Text, TextInput, Tooltip } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconAlertCircle, IconKey } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { RedeemResult } from "../../../../common/src/api/redemptions";
import { entitlementsApi, keys, redemptionsApi } from "../../api/endpoints";
import { AccountSelect } from "../../components/AccountSelect";
import { applyApiError } from "../../components/FormErrors";
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
} from "../../enduser/keyEntry";
import { orNull } from "../../lib/format";
import { entitlementPath } from "./model";

interface Values {
  key: KeyValue;
  soldTo: string | null;
  owner: string;
}

/**
 * Activate by key: producer staff redeem a web register key on a customer's behalf (Sold To
 * required, Owner optional) and land on the simple entitlement it became — or the one it already is.
 */
export function ActivateByKeyModal({
  opened,
  onClose,
  initialKey = "",
}: {
  opened: boolean;
  onClose: () => void;
  initialKey?: string;
}) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const countdown = useCountdown();
  const [failure, setFailure] = useState<{ title: string; message: string } | null>(null);
  const form = useForm<Values>({
    initialValues: { key: initialKey ? keyFromText(initialKey) : emptyKey(), soldTo: null, owner: "" },
    validate: {
      key: keyProblem,
      soldTo: (v) => (v ? null : "Sold to is required: the company the key is registered to"),
      owner: (v) => (v.length > 255 ? "Must be at most 255 characters" : null),
    },
  });
  const close = () => {
    form.reset();
    setFailure(null);
    onClose();
  };
  const redeem = useMutation({
    mutationFn: (v: Values) => redemptionsApi.redeem({ key: keyToSend(v.key), soldTo: v.soldTo, owner: orNull(v.owner) }),
    onSuccess: (r: RedeemResult) => {
      qc.invalidateQueries({ queryKey: keys.entitlements });
      qc.invalidateQueries({ queryKey: keys.webRegisterKeys });
      qc.setQueryData([...keys.entitlements, "detail", r.entitlement.id], r.entitlement);
      notifications.show({
        color: r.created ? "green" : "blue",
        title: r.created ? "Key activated" : "Already activated",
        message: r.created
          ? `Entitlement ${r.entitlement.entitlementId} was created from the key.`
          : `This key was already registered to this account: entitlement ${r.entitlement.entitlementId}.`,
      });
      close();
      navigate(entitlementPath(r.entitlement.id));
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
  return (
    <Modal opened={opened} onClose={close} title="Activate by key" size="lg">
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
        <Stack>
          <Text size="sm" c="dimmed">
            Register a web register key for a customer: it becomes a deployed simple entitlement of the Sold To account, with the
            key as its activation ID.
          </Text>
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
          <AccountSelect
            label="Sold to"
            required
            value={form.values.soldTo}
            onChange={(a) => form.setFieldValue("soldTo", a?.id ?? null)}
            error={form.errors.soldTo}
          />
          <TextInput label="Owner (person)" description="The person who uses it (optional)" {...form.getInputProps("owner")} />
          <TooManyAttempts seconds={countdown.remaining} />
          {failure && (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={failure.title} role="alert">
              {failure.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={redeem.isPending}
              disabled={countdown.remaining > 0}
              leftSection={<IconKey size={16} />}
            >
              Activate
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/**
 * An entitlement (by internal id) shown by its entitlement ID, linking to its page. `compact` shows
 * a short "Open" instead (the ID in its tooltip and accessible name), for narrow tables.
 */
export function EntitlementRef({ id, compact = false }: { id: string; compact?: boolean }) {
  const { data } = useQuery({
    queryKey: [...keys.entitlements, "detail", id],
    queryFn: () => entitlementsApi.get(id),
    staleTime: 60_000,
    retry: false,
  });
  const name = data?.entitlementId;
  const link = (
    <Anchor
      component={Link}
      to={entitlementPath(id)}
      size="sm"
      ff={compact ? undefined : "monospace"}
      style={{ whiteSpace: "nowrap" }}
      aria-label={compact && name ? `Entitlement ${name}` : undefined}
      onClick={(ev) => ev.stopPropagation()}
    >
      {compact ? "Open" : (name ?? "Open entitlement")}
    </Anchor>
  );
  return compact && name ? (
    <Tooltip label={name} withArrow>
      {link}
    </Tooltip>
  ) : (
    link
  );
}
