import { Alert, Anchor, Button, Group, Modal, NumberInput, SimpleGrid, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconCircleCheck, IconDownload } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import type { Entitlement, LineItem } from "../../../common/src/api/entitlements";
import type { ActivateBody, ActivationResult } from "../../../common/src/api/fulfillments";
import type { LicenseModel } from "../../../common/src/api/licenseModels";
import { activationsApi, fulfillmentsApi, keys } from "../api/endpoints";
import { usePermissions, useSession } from "../auth/session";
import { FormAlert, useApiForm } from "../components/FormErrors";
import { formatCount } from "../lib/format";
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
import { hostsWords, licensePath, type PortalKind, saveText, windowWords } from "./words";

interface Values extends OverrideValues {
  hosts: HostRow[];
  count: number | string;
  startDate: string;
  versionDate: string;
  shipToEmail: string;
  shipToAddress: string;
  attributes: AttributeValues;
}

/** The line item's start date is chosen when it is activated (the first time, or every time). */
export const asksStartDate = (li: LineItem) =>
  li.startDateOption === "DEFINE_AT_EACH_ACTIVATION" || (li.startDateOption === "DEFINE_AT_FIRST_ACTIVATION" && !li.startDate);
/** The version date is given later, that is now. */
export const asksVersionDate = (li: LineItem) =>
  (li.versionDateOption === "DEFINE_VERSION_DATE_LATER" || li.versionDateOption === "DEFINE_VERSION_STARTDATE_LATER") &&
  !li.versionDate;

/**
 * Whether a line item can be activated now (the server decides the rest, in words). With no copies
 * left the dialog still opens when the item has a license model: its policy may allow extra
 * activations, and producer staff may override it; the dialog says which.
 */
export const canActivate = (li: LineItem) =>
  (li.state === "DEPLOYED" || li.state === "TEST") && (li.availableCount > 0 || li.licenseModelId !== null);

/**
 * Extra activations the line item's policy still leaves (null: unlimited; 0 when the model allows
 * none), read from the usage of one of its licenses (none yet: nothing used); undefined while unknown.
 */
function useExtraLeft(li: LineItem, model: LicenseModel | undefined): number | null | undefined {
  const allowed = model?.policies.allowedExtraActivations;
  const { data } = useQuery({
    queryKey: [...keys.fulfillments, "extra-usage", li.id],
    queryFn: async () => {
      const page = await fulfillmentsApi.list({ lineItemId: li.id, limit: 1 });
      const first = page.items[0];
      return first ? (await fulfillmentsApi.get(first.id)).usage.extraActivations.used : 0;
    },
    enabled: allowed !== undefined && allowed !== null && allowed > 0,
    retry: false,
  });
  if (allowed === undefined) return undefined;
  if (allowed === null || allowed === 0) return allowed;
  return data === undefined ? undefined : Math.max(0, allowed - data);
}

/** "3 extra activations left (per 1 year)", "Extra activations: unlimited". */
function extraWords(left: number | null, model: LicenseModel): string {
  if (left === null) return "Extra activations past the line item's copies: unlimited.";
  return `${left} extra activation${left === 1 ? "" : "s"} left ${windowWords(model.policies.window)}.`;
}

/** The license an activation (or an uploaded request) gave: its ID, a download, and what is left. */
export function IssuedLicense({
  result,
  portal,
  title = "License issued",
}: {
  result: ActivationResult;
  portal: PortalKind;
  title?: string;
}) {
  const f = result.fulfillment;
  return (
    <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} title={title} data-testid="issued-license">
      <Stack gap="xs">
        <Text size="sm">
          <Anchor component={Link} to={licensePath(portal, f.id)} ff="monospace" fw={600} data-testid="issued-fid">
            {f.id}
          </Anchor>{" "}
          for {hostsWords(f)}, {formatCount(f.count)} {f.count === 1 ? "copy" : "copies"}
          {f.overdraftCount === 1 ? " (1 as an extra activation)" : ""}
          {f.overdraftCount > 1 ? ` (${formatCount(f.overdraftCount)} as extra activations)` : ""}.{" "}
          <span data-testid="available-after">
            {formatCount(result.availableCount)} {result.availableCount === 1 ? "copy is" : "copies are"} left on line item{" "}
            {f.activationId}.
          </span>
        </Text>
        {result.emailMessageId && f.shipToEmail && (
          <Text size="sm" c="dimmed">
            It is also being emailed to {f.shipToEmail}.
          </Text>
        )}
        <Group>
          <Button
            leftSection={<IconDownload size={16} />}
            onClick={() => saveText(result.licenseFile, result.fileName)}
            data-testid="download-issued"
          >
            Download license
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}

/**
 * Activate a line item: host IDs, count, the dates the line item leaves to activation, ship-to and
 * the license model's fulfillment-time attributes. On success the license is offered for download.
 */
export function ActivateDialog({
  lineItem: li,
  entitlement,
  portal,
  onClose,
  onActivated,
}: {
  lineItem: LineItem;
  entitlement: Pick<Entitlement, "entitlementId" | "shipToEmail" | "shipToAddress">;
  portal: PortalKind;
  onClose: () => void;
  onActivated?: (r: ActivationResult) => void;
}) {
  const qc = useQueryClient();
  const session = useSession();
  const { data: model, isLoading } = useLicenseModel(li.licenseModelId);
  const attrs = fulfillmentAttributes(model);
  const floating = model ? model.modelType === "FLOATING" : undefined;
  const uncounted = model?.modelType === "NODE_LOCKED_UNCOUNTED";
  // Should the model not be readable, the count may be left to the server's default.
  const modelUnknown = !model && !isLoading;
  const perms = usePermissions();
  const canOverride = portal === "producer" && perms.isProducerWriter;
  const extraLeft = useExtraLeft(li, model);
  /** The most copies one activation may ask for now, without an override (null: no limit). */
  const most = extraLeft === null ? null : li.availableCount + (extraLeft ?? 0);
  const form = useForm<Values>({
    initialValues: {
      hosts: [hostRow()],
      count: li.licenseModelId ? "" : 1,
      startDate: "",
      versionDate: "",
      // A customer's license goes to the entitlement's ship-to list, else to the customer themself.
      shipToEmail: entitlement.shipToEmail ?? (portal === "enduser" ? session.user.email : ""),
      shipToAddress: entitlement.shipToAddress ?? "",
      attributes: attributeValues(attrs),
      overridePolicy: false,
      reason: "",
    },
    validate: {
      hosts: { id: hostIdProblem },
      count: (v, values) => {
        if (uncounted || (modelUnknown && v === "")) return null;
        const n = Number(v);
        if (v === "" || !Number.isInteger(n) || n < 1) return "A whole number of at least 1";
        if (most === null || n <= most) return null;
        if (canOverride && values.overridePolicy) return null;
        return most > li.availableCount
          ? `Only ${formatCount(li.availableCount)} left and ${formatCount(most - li.availableCount)} extra`
          : `Only ${formatCount(li.availableCount)} left`;
      },
      reason: reasonProblem,
      startDate: (v) => (asksStartDate(li) && !v ? "Choose the start date" : null),
      versionDate: (v) => (asksVersionDate(li) && !v ? "Choose the version date" : null),
      attributes: attributeRules(attrs),
    },
  });
  // The model loads after the form is made: then a counted license starts at 1 copy, and the attributes at their defaults.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, when the model arrives
  useEffect(() => {
    if (!model) return;
    if (model.modelType !== "NODE_LOCKED_UNCOUNTED" && form.values.count === "") form.setFieldValue("count", 1);
    form.setFieldValue("attributes", { ...attributeValues(fulfillmentAttributes(model)), ...form.values.attributes });
  }, [model]);

  // Copies asked past what is left: the extra-activation words and, for producer writers, the override.
  const asked = uncounted ? form.values.hosts.length : Number(form.values.count) || 1;
  const outOfCopies = asked > li.availableCount;
  const exhausted = !!model && li.availableCount === 0 && extraLeft === 0;

  const [result, setResult] = useState<ActivationResult | null>(null);
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => {
      const body: ActivateBody = {
        activationId: li.activationId,
        hosts: hostsBody(v.hosts),
        ...(uncounted || v.count === "" ? {} : { count: Number(v.count) }),
        ...(asksStartDate(li) && v.startDate ? { startDate: v.startDate } : {}),
        ...(asksVersionDate(li) && v.versionDate ? { versionDate: v.versionDate } : {}),
        shipToEmail: v.shipToEmail.trim() || null,
        shipToAddress: v.shipToAddress.trim() || null,
        ...(attrs.length > 0 ? { attributes: attributesBody(attrs, v.attributes) } : {}),
        ...(canOverride ? overrideBody(v) : {}),
      };
      return activationsApi.activate(body);
    },
    {
      onSuccess: (r) => {
        qc.invalidateQueries({ queryKey: keys.entitlements });
        qc.invalidateQueries({ queryKey: keys.fulfillments });
        onActivated?.(r);
        setResult(r);
      },
    },
  );

  return (
    <Modal opened onClose={onClose} title={`Activate ${li.activationId}`} size="lg" closeOnClickOutside={false}>
      {result ? (
        <Stack>
          <IssuedLicense result={result} portal={portal} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Close
            </Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack>
            <Text size="sm" c="dimmed">
              {li.products.map((p) => `${p.name} ${p.version}`).join(", ")}
              {li.licenseModelName ? ` · ${li.licenseModelName}` : ""} · {formatCount(li.availableCount)} of{" "}
              {formatCount(li.numberOfCopies)} {li.numberOfCopies === 1 ? "copy" : "copies"} available
            </Text>
            {model && outOfCopies && (extraLeft === null || (extraLeft !== undefined && extraLeft > 0)) && (
              <Text size="sm" data-testid="extra-left">
                {li.availableCount === 0 ? "No copies are left. " : ""}
                {extraWords(extraLeft, model)}
              </Text>
            )}
            {model && li.availableCount === 0 && extraLeft === 0 && (
              <Alert color="yellow" variant="light" data-testid="extra-left">
                No copies are left
                {model.policies.allowedExtraActivations === 0
                  ? " and the license model allows no extra activations."
                  : ` and no extra activations are left ${windowWords(model.policies.window)}.`}
              </Alert>
            )}
            <HostRows form={form} path="hosts" rows={form.values.hosts} floating={floating} />
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              {uncounted ? (
                <Stack gap={2}>
                  <Text size="sm" fw={500}>
                    Count
                  </Text>
                  <Text size="sm" data-testid="uncounted-count">
                    {form.values.hosts.length} (one copy per host: node-locked, uncounted)
                  </Text>
                </Stack>
              ) : (
                <NumberInput
                  label="Count"
                  description={modelUnknown ? "Leave empty for the default" : "Copies taken from the line item"}
                  placeholder={modelUnknown ? "Automatic" : undefined}
                  min={1}
                  max={canOverride || most === null ? undefined : Math.max(1, most)}
                  allowDecimal={false}
                  allowNegative={false}
                  required={!modelUnknown}
                  {...form.getInputProps("count")}
                />
              )}
              {asksStartDate(li) && (
                <TextInput
                  label="Start date"
                  type="date"
                  required
                  description={
                    li.startDateOption === "DEFINE_AT_FIRST_ACTIVATION"
                      ? "Becomes the line item's start date"
                      : "This license's start"
                  }
                  {...form.getInputProps("startDate")}
                />
              )}
              {asksVersionDate(li) && (
                <TextInput
                  label="Version date"
                  type="date"
                  required
                  description="Versions released up to this day"
                  {...form.getInputProps("versionDate")}
                />
              )}
            </SimpleGrid>
            {isLoading ? null : <AttributeInputs form={form} attrs={attrs} />}
            <TextInput
              label="Ship-to email"
              description="The license is emailed to these addresses (comma-separated); leave empty to only download it."
              {...form.getInputProps("shipToEmail")}
            />
            <Textarea label="Ship-to address" autosize minRows={1} maxRows={4} {...form.getInputProps("shipToAddress")} />
            {canOverride && model && outOfCopies && <OverrideFields form={form} needed={exhausted} />}
            <FormAlert error={error} onClose={() => setError(null)} />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={pending} disabled={exhausted && !(canOverride && form.values.overridePolicy)}>
                Activate
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
