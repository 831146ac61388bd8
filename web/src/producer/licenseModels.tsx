import {
  ActionIcon,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { type UseFormReturnType, useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconArchive, IconEdit, IconPlus, IconRocket, IconTrash } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import type { LicenseModel, LicenseModelPolicies } from "../../../common/src/api/licenseModels";
import { canMove, isDeletableState, LICENSE_MODEL_EDITABLE } from "../../../common/src/rules/catalog";
import { keys, type LicenseModelInput, licenseModelsApi } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { DataTable, usePagedList } from "../components/DataTable";
import { useDetailPage } from "../components/DetailPage";
import { ConfirmButton } from "../components/Dialogs";
import { PageFormActions, useApiForm } from "../components/FormErrors";
import { HistoryButton, InfoGrid, PageHeader, Section, StateBadge } from "../components/Page";
import { changedFields, newRowKey } from "../lib/diff";
import {
  ATTRIBUTE_TIMES,
  ATTRIBUTE_VALUE_TYPES,
  type AttributeTime,
  type AttributeValueType,
  DURATION_UNITS,
  LICENSE_MODEL_STATES,
  LICENSE_MODEL_TYPES,
  LICENSE_TECHNOLOGIES,
  LIMITS,
  type LicenseModelState,
  type LicenseModelType,
  type LicenseTechnology,
} from "../lib/enums";
import { formatDateTime, orNull } from "../lib/format";
import { enumOptions, humanize, MODEL_TYPE_LABELS, TECHNOLOGY_LABELS } from "../lib/labels";
import { all, maxLength, required, wholeNumber } from "../lib/validate";
import { periodWords } from "../licenses/words";

const modelPath = (id: string) => `/license-models/${encodeURIComponent(id)}`;

export function LicenseModelsListPage() {
  const perms = usePermissions();
  const navigate = useNavigate();
  const [q, setQ] = useState("");
  const [state, setState] = useState<string | null>(null);
  const list = usePagedList(keys.licenseModels, licenseModelsApi.list, { q, state });
  return (
    <>
      <PageHeader
        title="License Models"
        description="How a product is licensed: technology, node-locked or floating, attributes and return/rehost policies."
        actions={
          perms.isProducerWriter && (
            <Button component={Link} to="/license-models/new" leftSection={<IconPlus size={16} />}>
              Create license model
            </Button>
          )
        }
      />
      <DataTable
        what="license models"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search by name" }}
        filters={
          <Select
            aria-label="State"
            placeholder="All states"
            clearable
            data={enumOptions(LICENSE_MODEL_STATES)}
            value={state}
            onChange={setState}
            w={160}
          />
        }
        rowKey={(m) => m.id}
        onRowClick={(m) => navigate(modelPath(m.id))}
        emptyText={q || state ? "No license model matches these filters." : "No license models yet."}
        columns={[
          {
            key: "name",
            header: "Name",
            render: (m) => (
              <Anchor component={Link} to={modelPath(m.id)} size="sm" fw={500} onClick={(e) => e.stopPropagation()}>
                {m.name}
              </Anchor>
            ),
          },
          { key: "tech", header: "Technology", render: (m) => TECHNOLOGY_LABELS[m.technology] ?? m.technology },
          { key: "type", header: "Model type", render: (m) => MODEL_TYPE_LABELS[m.modelType] ?? m.modelType },
          { key: "attrs", header: "Attributes", align: "right", render: (m) => m.attributes.length },
          { key: "state", header: "State", render: (m) => <StateBadge state={m.state} /> },
          { key: "updated", header: "Updated", render: (m) => formatDateTime(m.updatedAt) },
        ]}
      />
    </>
  );
}

interface AttributeRow {
  key: string;
  name: string;
  valueType: AttributeValueType;
  time: AttributeTime;
  required: boolean;
  defaultValue: string;
  allowedValues: string[];
}

interface PolicyValue {
  value: number | string;
  unlimited: boolean;
}

/** The period the policies are counted over: a number of units, or the line item's whole life. */
type DurationUnit = (typeof DURATION_UNITS)[number];
interface WindowValue {
  wholeLife: boolean;
  count: number | string;
  unit: DurationUnit;
}

interface ModelValues {
  name: string;
  description: string;
  technology: LicenseTechnology;
  modelType: LicenseModelType;
  attributes: AttributeRow[];
  policies: {
    allowedReturns: PolicyValue;
    allowedRehosts: PolicyValue;
    allowedRepairs: PolicyValue;
    allowedExtraActivations: PolicyValue;
    window: WindowValue;
  };
}

const WINDOW_UNITS = DURATION_UNITS.map((u) => ({ value: u, label: humanize(u) }));

const POLICY_FIELDS = [
  ["allowedReturns", "Allowed returns"],
  ["allowedRehosts", "Allowed rehosts"],
  ["allowedRepairs", "Allowed repairs"],
  ["allowedExtraActivations", "Extra activations"],
] as const;

const attributeRow = (a?: LicenseModel["attributes"][number]): AttributeRow => ({
  key: newRowKey(),
  name: a?.name ?? "",
  valueType: a?.valueType ?? "STRING",
  time: a?.time ?? "ENTITLEMENT",
  required: a?.required ?? false,
  defaultValue: a?.defaultValue ?? "",
  allowedValues: a?.allowedValues ?? [],
});

const policy = (v: number | null | undefined): PolicyValue =>
  v === null ? { value: "", unlimited: true } : { value: v ?? 0, unlimited: false };

function valuesOf(m?: LicenseModel): ModelValues {
  return {
    name: m?.name ?? "",
    description: m?.description ?? "",
    technology: m?.technology ?? "CERTIFICATE",
    modelType: m?.modelType ?? "NODE_LOCKED_UNCOUNTED",
    attributes: (m?.attributes ?? []).map(attributeRow),
    policies: {
      allowedReturns: policy(m ? m.policies.allowedReturns : 0),
      allowedRehosts: policy(m ? m.policies.allowedRehosts : 0),
      allowedRepairs: policy(m ? m.policies.allowedRepairs : 0),
      allowedExtraActivations: policy(m ? m.policies.allowedExtraActivations : 0),
      window: m?.policies.window
        ? { wholeLife: false, count: m.policies.window.count, unit: m.policies.window.unit }
        : { wholeLife: true, count: 1, unit: "YEARS" },
    },
  };
}

function bodyOf(v: ModelValues): LicenseModelInput {
  const p = (x: PolicyValue) => (x.unlimited ? null : Number(x.value));
  return {
    name: v.name.trim(),
    description: orNull(v.description),
    technology: v.technology,
    modelType: v.modelType,
    attributes: v.attributes.map((a) => ({
      name: a.name.trim(),
      valueType: a.valueType,
      time: a.time,
      required: a.required,
      defaultValue: orNull(a.defaultValue),
      ...(a.valueType === "ENUM" ? { allowedValues: a.allowedValues } : {}),
    })),
    policies: {
      allowedReturns: p(v.policies.allowedReturns),
      allowedRehosts: p(v.policies.allowedRehosts),
      allowedRepairs: p(v.policies.allowedRepairs),
      allowedExtraActivations: p(v.policies.allowedExtraActivations),
      window: v.policies.window.wholeLife ? null : { count: Number(v.policies.window.count), unit: v.policies.window.unit },
    } satisfies LicenseModelPolicies,
  };
}

/** Client check of a default value against its type (server: attributeValueProblem). */
function defaultValueProblem(row: AttributeRow | undefined, value: string): string | null {
  if (!row || value.trim() === "") return null;
  switch (row.valueType) {
    case "NUMBER":
      return /^-?\d+(\.\d+)?$/.test(value) ? null : "Must be a number";
    case "DATE":
      return /^\d{4}-\d{2}-\d{2}$/.test(value) ? null : "Must be a date in the form YYYY-MM-DD";
    case "BOOLEAN":
      return value === "true" || value === "false" ? null : "Must be true or false";
    case "ENUM":
      return row.allowedValues.includes(value) ? null : "Must be one of the allowed values";
    default:
      return null;
  }
}

const rowIndex = (path: string) => Number(path.split(".")[1]);

function AttributesEditor({ form, disabled }: { form: UseFormReturnType<ModelValues, any, any>; disabled: boolean }) {
  const rows = form.values.attributes;
  return (
    <Stack gap="xs">
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          No attributes. Attributes are values set when entitling (entitlement time) or when activating (fulfillment time).
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table className="editor-table" verticalSpacing={6} horizontalSpacing="xs" withRowBorders={false}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Attribute name</Table.Th>
                <Table.Th w={130}>Value type</Table.Th>
                <Table.Th w={150}>Set at</Table.Th>
                <Table.Th w={100} />
                <Table.Th w={160}>Default value</Table.Th>
                <Table.Th w={220}>Allowed values</Table.Th>
                <Table.Th w={40} />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((row, i) => (
                <Table.Tr key={row.key}>
                  <Table.Td>
                    <TextInput aria-label="Attribute name" disabled={disabled} {...form.getInputProps(`attributes.${i}.name`)} />
                  </Table.Td>
                  <Table.Td>
                    <Select
                      aria-label="Value type"
                      disabled={disabled}
                      allowDeselect={false}
                      data={enumOptions(ATTRIBUTE_VALUE_TYPES)}
                      {...form.getInputProps(`attributes.${i}.valueType`)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Select
                      aria-label="Set at"
                      disabled={disabled}
                      allowDeselect={false}
                      data={enumOptions(ATTRIBUTE_TIMES, { ENTITLEMENT: "Entitlement time", FULFILLMENT: "Fulfillment time" })}
                      {...form.getInputProps(`attributes.${i}.time`)}
                    />
                  </Table.Td>
                  <Table.Td>
                    <Checkbox
                      label="Required"
                      mt={6}
                      disabled={disabled}
                      {...form.getInputProps(`attributes.${i}.required`, { type: "checkbox" })}
                    />
                  </Table.Td>
                  <Table.Td>
                    <TextInput
                      aria-label="Default value"
                      disabled={disabled}
                      placeholder={row.valueType === "DATE" ? "YYYY-MM-DD" : row.valueType === "BOOLEAN" ? "true / false" : ""}
                      {...form.getInputProps(`attributes.${i}.defaultValue`)}
                    />
                  </Table.Td>
                  <Table.Td>
                    {row.valueType === "ENUM" ? (
                      <TagsInput
                        aria-label="Allowed values"
                        placeholder="Type a value, press Enter"
                        disabled={disabled}
                        {...form.getInputProps(`attributes.${i}.allowedValues`)}
                      />
                    ) : (
                      <Text size="xs" c="dimmed" mt={8}>
                        Only for Enum
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {!disabled && (
                      <Tooltip label="Remove attribute">
                        <ActionIcon
                          variant="subtle"
                          color="red"
                          mt={4}
                          aria-label="Remove attribute"
                          onClick={() => form.removeListItem("attributes", i)}
                        >
                          <IconTrash size={16} />
                        </ActionIcon>
                      </Tooltip>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!disabled && (
        <Group>
          <Button
            variant="light"
            size="xs"
            leftSection={<IconPlus size={14} />}
            onClick={() => form.insertListItem("attributes", attributeRow())}
          >
            Add attribute
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function LicenseModelForm({
  model,
  onDone,
  onCancel,
}: {
  model?: LicenseModel;
  onDone: (m: LicenseModel) => void;
  onCancel: () => void;
}) {
  const creating = !model;
  const qc = useQueryClient();
  const editable = new Set<string>(LICENSE_MODEL_EDITABLE[model?.state ?? "DRAFT"]);
  const locked = (f: string) => !editable.has(f);
  const policyRule = (v: unknown, values: ModelValues, path: string) => {
    const key = path.split(".")[1] as (typeof POLICY_FIELDS)[number][0];
    return values.policies[key]?.unlimited ? null : (required("A number")(v) ?? wholeNumber(0)(v));
  };
  const form = useForm<ModelValues>({
    initialValues: valuesOf(model),
    validate: {
      name: all(required("Name"), maxLength(LIMITS.nameMax)),
      description: maxLength(LIMITS.descriptionMax),
      attributes: {
        name: all(required("Attribute name"), maxLength(128)),
        defaultValue: (v, values, path) => defaultValueProblem(values.attributes[rowIndex(path)], v),
        allowedValues: (v, values, path) =>
          values.attributes[rowIndex(path)]?.valueType === "ENUM" && v.length === 0 ? "Add at least one allowed value" : null,
      },
      policies: {
        allowedReturns: { value: policyRule },
        allowedRehosts: { value: policyRule },
        allowedRepairs: { value: policyRule },
        allowedExtraActivations: { value: policyRule },
        window: {
          count: (v, values) =>
            values.policies.window.wholeLife
              ? null
              : (required("A number")(v) ?? wholeNumber(1)(v) ?? (Number(v) > 1000 ? "At most 1000" : null)),
        },
      },
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) =>
      creating
        ? licenseModelsApi.create(bodyOf(v))
        : licenseModelsApi.update(model.id, changedFields(bodyOf(valuesOf(model)) as Record<string, unknown>, bodyOf(v))),
    {
      // Server paths name the policy itself; the form keeps it under `.value`.
      fieldMap: {
        "policies.allowedReturns": "policies.allowedReturns.value",
        "policies.allowedRehosts": "policies.allowedRehosts.value",
        "policies.allowedRepairs": "policies.allowedRepairs.value",
        "policies.allowedExtraActivations": "policies.allowedExtraActivations.value",
        "policies.window": "policies.window.count",
        "policies.window.count": "policies.window.count",
        "policies.window.unit": "policies.window.unit",
      },
      onSuccess: (m) => {
        qc.invalidateQueries({ queryKey: keys.licenseModels });
        qc.invalidateQueries({ queryKey: keys.products });
        notifications.show({ color: "green", message: creating ? `License model ${m.name} created.` : "License model saved." });
        onDone(m);
      },
    },
  );
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <Section title="License model">
          {model && model.state !== "DRAFT" && (
            <Text size="sm" c="dimmed" mb="sm">
              This license model is {model.state.toLowerCase()}: only its description and policies can change.
            </Text>
          )}
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput label="Name" required disabled={locked("name")} {...form.getInputProps("name")} />
            <Select
              label="Technology"
              required
              allowDeselect={false}
              disabled={locked("technology")}
              data={enumOptions(LICENSE_TECHNOLOGIES, TECHNOLOGY_LABELS)}
              {...form.getInputProps("technology")}
            />
            <Select
              label="Model type"
              required
              allowDeselect={false}
              disabled={locked("modelType")}
              data={enumOptions(LICENSE_MODEL_TYPES, MODEL_TYPE_LABELS)}
              {...form.getInputProps("modelType")}
            />
          </SimpleGrid>
          <Textarea
            label="Description"
            mt="sm"
            autosize
            minRows={2}
            maxRows={6}
            disabled={locked("description")}
            {...form.getInputProps("description")}
          />
        </Section>
        <Section title="Attributes">
          <AttributesEditor form={form} disabled={locked("attributes")} />
        </Section>
        <Section title="Policies">
          <Text size="sm" c="dimmed" mb="sm">
            How many times a license of this model may be returned, moved to another host, or repaired, and how many copies an
            activation may take past the line item's copies when they run out (extra activations), counted per line item over the
            period below.
          </Text>
          <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
            {POLICY_FIELDS.map(([key, label]) => {
              const p = form.values.policies[key];
              return (
                <Stack key={key} gap={6}>
                  <NumberInput
                    label={label}
                    min={0}
                    allowDecimal={false}
                    allowNegative={false}
                    disabled={locked("policies") || p.unlimited}
                    placeholder={p.unlimited ? "Unlimited" : undefined}
                    {...form.getInputProps(`policies.${key}.value`)}
                    value={p.unlimited ? "" : p.value}
                  />
                  <Checkbox
                    label="Unlimited"
                    aria-label={`${label}: unlimited`}
                    disabled={locked("policies")}
                    checked={p.unlimited}
                    onChange={(e) => {
                      form.setFieldValue(`policies.${key}.unlimited`, e.currentTarget.checked);
                      form.clearFieldError(`policies.${key}.value`);
                    }}
                  />
                </Stack>
              );
            })}
          </SimpleGrid>
          <Group mt="md" align="flex-start" gap="sm" data-testid="policy-window">
            <NumberInput
              label="Counted per"
              w={140}
              min={1}
              max={1000}
              allowDecimal={false}
              allowNegative={false}
              disabled={locked("policies") || form.values.policies.window.wholeLife}
              {...form.getInputProps("policies.window.count")}
              value={form.values.policies.window.wholeLife ? "" : form.values.policies.window.count}
            />
            <Select
              label="Unit"
              w={140}
              allowDeselect={false}
              data={WINDOW_UNITS}
              disabled={locked("policies") || form.values.policies.window.wholeLife}
              {...form.getInputProps("policies.window.unit")}
            />
            <Checkbox
              mt={30}
              label="Whole life of the line item"
              disabled={locked("policies")}
              checked={form.values.policies.window.wholeLife}
              onChange={(e) => {
                form.setFieldValue("policies.window.wholeLife", e.currentTarget.checked);
                form.clearFieldError("policies.window.count");
              }}
            />
          </Group>
        </Section>
        <PageFormActions error={error} onCloseError={() => setError(null)} pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

export function LicenseModelCreatePage() {
  const navigate = useNavigate();
  return (
    <>
      <PageHeader title="Create license model" crumbs={[{ label: "License model list", to: "/license-models" }]} />
      <LicenseModelForm onDone={(m) => navigate(modelPath(m.id))} onCancel={() => navigate("/license-models")} />
    </>
  );
}

const policyText = (v: number | null) => (v === null ? "Unlimited" : String(v));

export function LicenseModelDetailPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const page = useDetailPage({
    queryKey: [...keys.licenseModels, "detail", id],
    load: () => licenseModelsApi.get(id),
    list: { label: "License model list", to: "/license-models" },
    title: "License model",
    what: "the license model",
    editTitle: (m) => `Edit ${m.name}`,
    crumb: (m) => ({ label: m.name, to: modelPath(id) }),
    form: (m, done) => <LicenseModelForm model={m} onDone={done} onCancel={done} />,
  });
  if (page.element) return page.element;
  const { object: model, crumbs } = page;
  const changeState = async (state: LicenseModelState, words: string) => {
    await licenseModelsApi.changeState(model.id, state);
    qc.invalidateQueries({ queryKey: keys.licenseModels });
    notifications.show({ color: "green", message: `License model ${model.name} ${words}.` });
  };
  return (
    <>
      <PageHeader
        title={model.name}
        badge={<StateBadge state={model.state} />}
        crumbs={crumbs}
        actions={
          <>
            <HistoryButton objectType="licenseModel" objectId={model.id} />
            {perms.isProducerWriter && (
              <>
                {LICENSE_MODEL_EDITABLE[model.state].length > 0 && (
                  <Button variant="default" leftSection={<IconEdit size={16} />} onClick={page.edit}>
                    Edit
                  </Button>
                )}
                {canMove(model.state, "DEPLOYED") && (
                  <ConfirmButton
                    title="Deploy license model"
                    message={`Deploy ${model.name}? Afterwards only its description and policies can change.`}
                    confirmLabel="Deploy"
                    color="green"
                    leftSection={<IconRocket size={16} />}
                    onConfirm={() => changeState("DEPLOYED", "deployed")}
                  >
                    Deploy
                  </ConfirmButton>
                )}
                {canMove(model.state, "OBSOLETE") && (
                  <ConfirmButton
                    title="Make license model obsolete"
                    message={`Make ${model.name} obsolete? It can no longer be used for new entitlements. This cannot be undone.`}
                    confirmLabel="Make obsolete"
                    color="orange"
                    leftSection={<IconArchive size={16} />}
                    onConfirm={() => changeState("OBSOLETE", "is now obsolete")}
                  >
                    Make obsolete
                  </ConfirmButton>
                )}
                {isDeletableState(model.state) && (
                  <ConfirmButton
                    title="Delete license model"
                    message={`Delete ${model.name}? Only draft license models that no product uses can be deleted.`}
                    confirmLabel="Delete license model"
                    leftSection={<IconTrash size={16} />}
                    onConfirm={async () => {
                      await licenseModelsApi.remove(model.id);
                      qc.invalidateQueries({ queryKey: keys.licenseModels });
                      notifications.show({ color: "green", message: `License model ${model.name} deleted.` });
                      navigate("/license-models");
                    }}
                  >
                    Delete
                  </ConfirmButton>
                )}
              </>
            )}
          </>
        }
      />
      <Stack>
        <Section title="Details">
          <InfoGrid
            items={[
              { label: "Name", value: model.name },
              { label: "Technology", value: TECHNOLOGY_LABELS[model.technology] ?? model.technology },
              { label: "Model type", value: MODEL_TYPE_LABELS[model.modelType] ?? model.modelType },
              { label: "State", value: <StateBadge state={model.state} /> },
              { label: "Created", value: formatDateTime(model.createdAt) },
              { label: "Updated", value: formatDateTime(model.updatedAt) },
              { label: "Description", value: model.description },
            ]}
          />
        </Section>
        <Section title={`Attributes (${model.attributes.length})`}>
          {model.attributes.length === 0 ? (
            <Text size="sm" c="dimmed">
              This license model has no attributes.
            </Text>
          ) : (
            <Table verticalSpacing={6} fz="sm" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Attribute name</Table.Th>
                  <Table.Th>Value type</Table.Th>
                  <Table.Th>Set at</Table.Th>
                  <Table.Th>Required</Table.Th>
                  <Table.Th>Default value</Table.Th>
                  <Table.Th>Allowed values</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {model.attributes.map((a) => (
                  <Table.Tr key={a.name}>
                    <Table.Td>{a.name}</Table.Td>
                    <Table.Td>{humanize(a.valueType)}</Table.Td>
                    <Table.Td>{a.time === "ENTITLEMENT" ? "Entitlement time" : "Fulfillment time"}</Table.Td>
                    <Table.Td>{a.required ? "Yes" : "No"}</Table.Td>
                    <Table.Td>{a.defaultValue ?? "—"}</Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        {(a.allowedValues ?? []).map((v) => (
                          <Badge key={v} variant="light" color="gray" radius="sm" tt="none">
                            {v}
                          </Badge>
                        ))}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
        <Section title="Policies">
          <InfoGrid
            items={[
              { label: "Allowed returns", value: policyText(model.policies.allowedReturns) },
              { label: "Allowed rehosts", value: policyText(model.policies.allowedRehosts) },
              { label: "Allowed repairs", value: policyText(model.policies.allowedRepairs) },
              {
                label: "Extra activations",
                value: model.policies.allowedExtraActivations === 0 ? "None" : policyText(model.policies.allowedExtraActivations),
              },
              {
                label: "Counted",
                value: model.policies.window ? `Per ${periodWords(model.policies.window)}` : "Over the line item's whole life",
              },
            ]}
          />
        </Section>
      </Stack>
    </>
  );
}
