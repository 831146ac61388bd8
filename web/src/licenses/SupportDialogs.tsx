import { Alert, Button, Group, Modal, NumberInput, Stack, Text } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertTriangle, IconCircleCheck } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { FulfillmentDetail, SupportResult } from "../../../common/src/api/fulfillments";
import { fulfillmentsApi, keys } from "../api/endpoints";
import { FormAlert, useApiForm } from "../components/FormErrors";
import { formatCount } from "../lib/format";
import { IssuedLicense } from "./ActivateDialog";
import {
  AttributeInputs,
  type AttributeValues,
  attributeRules,
  attributesBody,
  attributeValues,
  fulfillmentAttributes,
  type HostRow,
  HostRows,
  hostIdProblem,
  hostRow,
  hostsBody,
  OverrideFields,
  type OverrideValues,
  overrideBody,
  reasonProblem,
  useLicenseModel,
} from "./fields";
import { left, type PolicyKind, type PortalKind, usageWords } from "./words";

export type SupportKind = "return" | "rehost" | "repair";

const POLICY: Record<SupportKind, PolicyKind> = { return: "returns", rehost: "rehosts", repair: "repairs" };
const TITLE: Record<SupportKind, string> = { return: "Return", rehost: "Rehost", repair: "Repair" };
const WHAT: Record<SupportKind, string> = {
  return: "Give copies of this license back to the line item. Returning only some reissues the rest as a new license.",
  rehost: "Move the license to other host(s): a new license is issued for them and this one becomes obsolete.",
  repair: "Reissue the license for the same host(s), with changed attributes if need be; this one becomes obsolete.",
};

interface Values extends OverrideValues {
  count: number | string;
  hosts: HostRow[];
  attributes: AttributeValues;
}

/** What is left of the policy, in words: "1 of 2 rehosts used per 1 year: 1 left." */
function PolicyLeft({ detail, kind }: { detail: FulfillmentDetail; kind: SupportKind }) {
  const k = POLICY[kind];
  const n = left(detail.usage, k);
  const words = usageWords(detail.usage, k);
  if (n === 0)
    return (
      <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />} data-testid="policy-left">
        {detail.usage[k].allowed === 0 ? `${words}.` : `${words}: none left.`}
      </Alert>
    );
  return (
    <Text size="sm" data-testid="policy-left">
      {words}
      {n === null ? "." : `: ${n} left.`}
    </Text>
  );
}

/** Return, rehost or repair one license under its license model's policy; producer staff may override it. */
export function SupportDialog({
  kind,
  detail,
  portal,
  canOverride,
  onClose,
}: {
  kind: SupportKind;
  detail: FulfillmentDetail;
  portal: PortalKind;
  canOverride: boolean;
  onClose: () => void;
}) {
  const f = detail.fulfillment;
  const qc = useQueryClient();
  const model = useLicenseModel(kind === "repair" ? f.licenseModel.id : null);
  const attrs = fulfillmentAttributes(model.data);
  const floating = f.licenseModel.type === "FLOATING";
  const exhausted = left(detail.usage, POLICY[kind]) === 0;
  const [result, setResult] = useState<SupportResult | null>(null);
  const form = useForm<Values>({
    initialValues: {
      count: f.count,
      hosts: [hostRow()],
      attributes: attributeValues(attrs, f.attributes),
      overridePolicy: false,
      reason: "",
    },
    validate: {
      count: (v) => {
        if (kind !== "return") return null;
        const n = Number(v);
        return v === "" || !Number.isInteger(n) || n < 1 || n > f.count ? `A whole number from 1 to ${f.count}` : null;
      },
      hosts: { id: (v) => (kind === "rehost" ? hostIdProblem(v) : null) },
      attributes: attributeRules(kind === "repair" ? attrs : []),
      reason: reasonProblem,
    },
  });
  // The model loads after the form is made: start the attributes at the license's values.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the model arrives
  useEffect(() => {
    if (model.data) form.setFieldValue("attributes", attributeValues(fulfillmentAttributes(model.data), f.attributes));
  }, [model.data]);

  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => {
      const o = canOverride ? overrideBody(v) : {};
      if (kind === "return") return fulfillmentsApi.return(f.id, { count: Number(v.count), ...o });
      if (kind === "rehost") return fulfillmentsApi.rehost(f.id, { hosts: hostsBody(v.hosts), ...o });
      return fulfillmentsApi.repair(f.id, {
        ...(attrs.length > 0 ? { attributes: attributesBody(attrs, v.attributes) } : {}),
        ...o,
      });
    },
    {
      onSuccess: (r) => {
        qc.invalidateQueries({ queryKey: keys.fulfillments });
        qc.invalidateQueries({ queryKey: keys.entitlements });
        setResult(r);
      },
    },
  );

  return (
    <Modal opened onClose={onClose} title={`${TITLE[kind]} ${f.id}`} size="lg" closeOnClickOutside={false}>
      {result ? (
        <Stack>
          <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} data-testid="support-done">
            {kind === "return"
              ? `${f.id} is returned. ${formatCount(result.availableCount)} ${result.availableCount === 1 ? "copy is" : "copies are"} now available on line item ${f.activationId}.`
              : `${f.id} is now obsolete; its replacement is below.`}
          </Alert>
          {result.issued && (
            <IssuedLicense
              result={result.issued}
              portal={portal}
              title={kind === "return" ? "The copies kept are reissued" : "New license issued"}
            />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack>
            <Text size="sm">{WHAT[kind]}</Text>
            <PolicyLeft detail={detail} kind={kind} />
            {kind === "return" && (
              <NumberInput
                label="Copies to return"
                description={`This license holds ${formatCount(f.count)}.`}
                w={220}
                min={1}
                max={f.count}
                allowDecimal={false}
                allowNegative={false}
                required
                {...form.getInputProps("count")}
              />
            )}
            {kind === "rehost" && <HostRows form={form} path="hosts" rows={form.values.hosts} floating={floating} />}
            {kind === "repair" && <AttributeInputs form={form} attrs={attrs} />}
            {canOverride && <OverrideFields form={form} needed={exhausted} />}
            <FormAlert error={error} onClose={() => setError(null)} />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button
                type="submit"
                loading={pending}
                color={kind === "return" ? "orange" : undefined}
                disabled={exhausted && !(canOverride && form.values.overridePolicy)}
              >
                {TITLE[kind]}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
