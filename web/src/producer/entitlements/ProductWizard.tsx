import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  Modal,
  MultiSelect,
  NumberInput,
  Radio,
  Select,
  SimpleGrid,
  Stack,
  Stepper,
  Table,
  Text,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { type UseFormReturnType, useForm } from "@mantine/form";
import { useDebouncedValue } from "@mantine/hooks";
import { IconAlertCircle, IconTrash } from "@tabler/icons-react";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { LicenseModel } from "../../../../common/src/api/licenseModels";
import { isConfigurable } from "../../../../common/src/rules/catalog";
import type { StartDateOption } from "../../../../common/src/rules/terms";
import { errorMessage, isApiError } from "../../api/client";
import { keys, licenseModelsApi, partNumbersApi, productsApi } from "../../api/endpoints";
import { InfoGrid } from "../../components/Page";
import { newRowKey } from "../../lib/diff";
import { formatDate } from "../../lib/format";
import { humanize, sentence } from "../../lib/labels";
import { ModeRadio, TermFields } from "./fields";
import {
  type AttributeRow,
  type ConfigValues,
  configFieldPath,
  configProblems,
  type Kind,
  NO_TYPE,
  START_DATE_LABELS,
  startDateOptions,
  stepOf,
  todayDay,
  typeOptions,
  UNIT_LABELS,
  VERSION_DATE_LABELS,
  versionDateOptions,
} from "./model";

const STEPS = ["Select product", "Specify quantities", "License model", "Configure"];

/** Searches deployed products (DRAFT ones too for test entitlements) on the server. */
function ProductSearch({
  kind,
  test,
  exclude,
  onPick,
  error,
}: {
  kind: Kind;
  test: boolean;
  exclude: string[];
  onPick: (p: { id: string; label: string }) => void;
  error?: React.ReactNode;
}) {
  const [search, setSearch] = useState("");
  const [q] = useDebouncedValue(search.trim(), 250);
  const { data, isFetching } = useQuery({
    queryKey: [...keys.products, "entitle-pick", q, test],
    queryFn: () => productsApi.list({ q: q || undefined, state: test ? undefined : "DEPLOYED", limit: 25 }),
    staleTime: 15_000,
  });
  const items = (data?.items ?? []).filter(
    (p) => p.state !== "OBSOLETE" && !(kind === "BULK" && p.type === "MAINTENANCE") && !exclude.includes(p.id),
  );
  return (
    <Select
      label="Product"
      description={
        kind === "BULK"
          ? `Products and suites that are deployed${test ? " or draft (test entitlement)" : ""}; a bulk entitlement holds one.`
          : `Deployed products${test ? " or draft ones" : ""}; pick one or more.`
      }
      placeholder="Search products by name or version"
      searchable
      value={null}
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options }) => options}
      nothingFoundMessage={isFetching ? "Searching…" : "No product matches"}
      error={error}
      data={items.map((p) => ({
        value: p.id,
        label: `${p.name} ${p.version}${p.state === "DRAFT" ? " (draft)" : ""}`,
      }))}
      onChange={(id) => {
        const p = items.find((x) => x.id === id);
        if (p) onPick({ id: p.id, label: `${p.name} ${p.version}` });
        setSearch("");
      }}
    />
  );
}

/** Searches part numbers on the server. */
function PartSearch({
  value,
  onPick,
  error,
}: {
  value: ConfigValues["part"];
  onPick: (p: ConfigValues["part"]) => void;
  error?: React.ReactNode;
}) {
  const [search, setSearch] = useState("");
  const selectedLabel = value ? `${value.partId} — ${value.productLabel}` : "";
  const typed = search === selectedLabel ? "" : search;
  const [q] = useDebouncedValue(typed.trim(), 250);
  const { data, isFetching } = useQuery({
    queryKey: [...keys.partNumbers, "entitle-pick", q],
    queryFn: () => partNumbersApi.list({ q: q || undefined, limit: 25 }),
    staleTime: 15_000,
  });
  const items = data?.items ?? [];
  const options = items.map((p) => ({ value: p.id, label: `${p.partId} — ${p.productName} ${p.productVersion}` }));
  if (value && !options.some((o) => o.value === value.id)) options.unshift({ value: value.id, label: selectedLabel });
  return (
    <Select
      label="Part number"
      description="The SKU names the product, its quantity and possibly the license model."
      placeholder="Search part numbers"
      searchable
      clearable
      value={value?.id ?? null}
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options: o }) => o}
      nothingFoundMessage={isFetching ? "Searching…" : "No part number matches"}
      error={error}
      data={options}
      onChange={(id) => {
        const p = items.find((x) => x.id === id);
        onPick(
          p
            ? {
                id: p.id,
                partId: p.partId,
                productId: p.productId,
                productLabel: `${p.productName} ${p.productVersion}`,
                quantity: p.quantity,
                licenseModelId: p.licenseModelId,
                licenseModelName: p.licenseModelName,
              }
            : id && value?.id === id
              ? value
              : null,
        );
      }}
    />
  );
}

/** The license models the chosen products allow (all models when none of them restricts), loaded one by one. */
function useCandidateModels(productIds: string[], test: boolean) {
  const products = useQueries({
    queries: productIds.map((id) => ({
      queryKey: [...keys.products, "detail", id],
      queryFn: () => productsApi.get(id),
      staleTime: 30_000,
    })),
  });
  const productsLoaded = products.every((p) => p.data || p.error);
  const lists = products.map((p) => p.data?.licenseModelIds ?? []).filter((l) => l.length > 0);
  const unrestricted = productsLoaded && lists.length === 0;
  const allowed = lists.length === 0 ? [] : (lists[0] ?? []).filter((id) => lists.every((l) => l.includes(id)));
  const listQ = useQuery({
    queryKey: [...keys.licenseModels, "entitle-any", test],
    queryFn: () => licenseModelsApi.list({ state: test ? undefined : "DEPLOYED", limit: 200 }),
    enabled: unrestricted,
    staleTime: 30_000,
  });
  const details = useQueries({
    queries: allowed.map((id) => ({
      queryKey: [...keys.licenseModels, "detail", id],
      queryFn: () => licenseModelsApi.get(id),
      staleTime: 30_000,
    })),
  });
  const loaded: LicenseModel[] = unrestricted
    ? (listQ.data?.items ?? [])
    : details.map((d) => d.data).filter((m): m is LicenseModel => !!m);
  const usable = loaded.filter((m) => isConfigurable(m.state, test));
  const isLoading = !productsLoaded || (unrestricted ? listQ.isLoading : details.some((d) => d.isLoading));
  return { models: usable, all: loaded, isLoading, unrestricted, error: products.find((p) => p.error)?.error ?? listQ.error };
}

/** Attribute rows for the model's entitlement-time attributes, keeping values already typed. */
function attributeRowsFor(model: LicenseModel, current: AttributeRow[]): AttributeRow[] {
  return model.attributes
    .filter((a) => a.time === "ENTITLEMENT")
    .map((a) => {
      const prev = current.find((r) => r.name === a.name);
      const hasDefault = a.defaultValue !== null && a.defaultValue !== undefined && a.defaultValue !== "";
      return {
        name: a.name,
        valueType: a.valueType,
        required: a.required,
        hasDefault,
        allowedValues: a.allowedValues ?? [],
        value: prev?.value ?? (hasDefault ? String(a.defaultValue) : ""),
      };
    });
}

const sameAttributeDefs = (a: AttributeRow[], b: AttributeRow[]) =>
  a.length === b.length &&
  a.every((x, i) => x.name === b[i]?.name && x.valueType === b[i]?.valueType && x.required === b[i]?.required);

function AttributeInput({
  row,
  inputProps,
}: {
  row: AttributeRow;
  inputProps: ReturnType<UseFormReturnType<ConfigValues>["getInputProps"]>;
}) {
  const req = row.required && !row.hasDefault;
  const description = `${humanize(row.valueType)}${row.hasDefault ? " · has a default" : ""}`;
  if (row.valueType === "ENUM" || row.valueType === "BOOLEAN") {
    const data =
      row.valueType === "BOOLEAN"
        ? [
            { value: "true", label: "Yes (true)" },
            { value: "false", label: "No (false)" },
          ]
        : row.allowedValues.map((v) => ({ value: v, label: v }));
    return (
      <Select
        label={row.name}
        description={description}
        required={req}
        clearable={!req}
        data={data}
        {...inputProps}
        value={(inputProps.value as string) || null}
        onChange={(v) => (inputProps.onChange as (v: string) => void)(v ?? "")}
      />
    );
  }
  return (
    <TextInput
      label={row.name}
      description={description}
      required={req}
      type={row.valueType === "DATE" ? "date" : "text"}
      inputMode={row.valueType === "NUMBER" ? "decimal" : undefined}
      {...inputProps}
    />
  );
}

/**
 * FNO's "Add Product" wizard for a bulk entitlement and "Add line item" for a simple one:
 * 1 select product(s) or a part number, 2 quantities, 3 license model (+ up to two alternates and
 * its entitlement-time attributes), 4 dates, copies and type. `onDone` may call the API; its field
 * errors come back onto the wizard's inputs.
 */
export function ProductWizard({
  kind,
  test,
  mode = "create",
  title,
  initial,
  initialErrors,
  onDone,
  onClose,
  finishLabel = "Finish",
  showAutoDeploy = false,
}: {
  kind: Kind;
  test: boolean;
  mode?: "create" | "edit";
  title: string;
  initial: ConfigValues;
  initialErrors?: Record<string, string>;
  onDone: (v: ConfigValues) => Promise<void> | void;
  onClose: () => void;
  finishLabel?: string;
  showAutoDeploy?: boolean;
}) {
  const form = useForm<ConfigValues>({ initialValues: initial, initialErrors: initialErrors ?? {} });
  const firstErrorStep = Object.keys(initialErrors ?? {}).reduce((m, p) => Math.min(m, stepOf(p)), 3);
  const [active, setActive] = useState(initialErrors && Object.keys(initialErrors).length ? firstErrorStep : 0);
  const [busy, setBusy] = useState(false);
  const [general, setGeneral] = useState<string | null>(null);
  const v = form.values;
  const productIds = v.source === "PART" ? (v.part ? [v.part.productId] : []) : v.products.map((p) => p.productId);
  const candidates = useCandidateModels(active >= 2 ? productIds : [], test);
  const partDetail = useQuery({
    queryKey: [...keys.partNumbers, "detail", v.part?.id],
    queryFn: () => partNumbersApi.get(v.part?.id as string),
    enabled: v.source === "PART" && !!v.part && v.part.licenseModelId === null && active >= 2,
    staleTime: 30_000,
  });
  const fixedModelId = v.source === "PART" ? (v.part?.licenseModelId ?? partDetail.data?.licenseModelId ?? null) : null;
  const fixedModelName = v.part?.licenseModelName ?? partDetail.data?.licenseModelName ?? fixedModelId;
  const mainModelId = fixedModelId ?? v.licenseModelId;
  const mainModel = useQuery({
    queryKey: [...keys.licenseModels, "detail", mainModelId],
    queryFn: () => licenseModelsApi.get(mainModelId as string),
    enabled: !!mainModelId,
    staleTime: 30_000,
  });

  // The attribute inputs follow the main license model's entitlement-time attributes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the model (or its definition) changes
  useEffect(() => {
    if (!mainModelId) {
      if (v.attributes.length) form.setFieldValue("attributes", []);
      return;
    }
    const m = mainModel.data;
    if (!m || m.id !== mainModelId) return;
    const rows = attributeRowsFor(m, form.getValues().attributes);
    if (!sameAttributeDefs(rows, form.getValues().attributes)) form.setFieldValue("attributes", rows);
    if (!form.getValues().modelNames[m.id]) form.setFieldValue("modelNames", { ...form.getValues().modelNames, [m.id]: m.name });
  }, [mainModelId, mainModel.data]);

  const checkStep = (step: number) => {
    const problems = configProblems(form.getValues(), kind);
    const mine = Object.fromEntries(Object.entries(problems).filter(([p]) => stepOf(p) <= step));
    form.setErrors(mine);
    return Object.keys(mine).length === 0;
  };

  const next = () => {
    if (checkStep(active)) setActive((s) => Math.min(s + 1, STEPS.length - 1));
  };

  const finish = async () => {
    const values = form.getValues();
    const problems = configProblems(values, kind);
    if (Object.keys(problems).length) {
      form.setErrors(problems);
      setActive(Object.keys(problems).reduce((m, p) => Math.min(m, stepOf(p)), 3));
      return;
    }
    setBusy(true);
    setGeneral(null);
    try {
      await onDone(values);
    } catch (e) {
      if (isApiError(e) && e.fieldErrors.length) {
        const errs: Record<string, string> = {};
        const other: string[] = [];
        for (const fe of e.fieldErrors) {
          const local = fe.field.replace(/^(body\.)?(product|lineItems\[\d+\]|lineItem)\./, "");
          if (local === fe.field && /^(body\.)?(product|lineItems)/.test(fe.field)) {
            other.push(fe.message);
            continue;
          }
          const path = configFieldPath(local, values);
          errs[path] = sentence(fe.message);
        }
        form.setErrors(errs);
        const steps = Object.keys(errs).map(stepOf);
        if (steps.length) setActive(Math.min(...steps));
        setGeneral(other.length ? other.join("; ") : null);
      } else {
        setGeneral(errorMessage(e));
      }
    } finally {
      setBusy(false);
    }
  };

  const models = candidates.models;
  const modelOptions = models.map((m) => ({ value: m.id, label: m.state === "DRAFT" ? `${m.name} (draft)` : m.name }));
  for (const id of [v.licenseModelId, ...v.alternateLicenseModelIds])
    if (id && !modelOptions.some((o) => o.value === id)) modelOptions.push({ value: id, label: v.modelNames[id] ?? id });
  const rememberNames = (ids: (string | null)[]) => {
    const names = { ...form.getValues().modelNames };
    for (const id of ids) {
      const m = candidates.all.find((x) => x.id === id);
      if (id && m) names[id] = m.name;
    }
    form.setFieldValue("modelNames", names);
  };
  const hiddenModels = candidates.all.length - models.length;

  return (
    <Modal opened onClose={onClose} title={title} size="xl" closeOnClickOutside={false}>
      <Stack>
        <Stepper active={active} onStepClick={(s) => (s < active || checkStep(active)) && setActive(s)} size="sm">
          {STEPS.map((label) => (
            <Stepper.Step key={label} label={label} />
          ))}
        </Stepper>

        {active === 0 && (
          <Stack data-testid="wizard-step-product">
            <ModeRadio
              form={form}
              path="source"
              label="Select by"
              options={[
                { value: "PRODUCT", label: "By product" },
                { value: "PART", label: "By part number" },
              ]}
            />
            {v.source === "PRODUCT" ? (
              <>
                <ProductSearch
                  kind={kind}
                  test={test}
                  exclude={v.products.map((p) => p.productId)}
                  error={form.errors.products}
                  onPick={(p) => {
                    const row = { key: newRowKey(), productId: p.id, label: p.label, quantity: 1 };
                    form.setFieldValue("products", kind === "BULK" ? [row] : [...form.getValues().products, row]);
                    form.clearFieldError("products");
                  }}
                />
                {v.products.length > 0 && (
                  <Table verticalSpacing={6} fz="sm" data-testid="wizard-products">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>Selected product</Table.Th>
                        <Table.Th w={40} />
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {v.products.map((p, i) => (
                        <Table.Tr key={p.key}>
                          <Table.Td>{p.label}</Table.Td>
                          <Table.Td>
                            <Tooltip label="Remove product">
                              <ActionIcon
                                variant="subtle"
                                color="red"
                                aria-label={`Remove ${p.label}`}
                                onClick={() => form.removeListItem("products", i)}
                              >
                                <IconTrash size={16} />
                              </ActionIcon>
                            </Tooltip>
                          </Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                )}
              </>
            ) : (
              <PartSearch
                value={v.part}
                error={form.errors.part}
                onPick={(p) => {
                  form.setFieldValue("part", p);
                  form.clearFieldError("part");
                  if (p?.licenseModelId) form.setFieldValue("licenseModelId", p.licenseModelId);
                }}
              />
            )}
          </Stack>
        )}

        {active === 1 && (
          <Stack data-testid="wizard-step-quantities">
            {v.source === "PART" && v.part ? (
              <Text size="sm">
                Part number <b>{v.part.partId}</b> gives {v.part.quantity} × {v.part.productLabel} per copy.
              </Text>
            ) : (
              <Table className="editor-table" verticalSpacing={6} fz="sm">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Product</Table.Th>
                    <Table.Th w={200}>Quantity</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {v.products.map((p, i) => (
                    <Table.Tr key={p.key}>
                      <Table.Td pt={12}>{p.label}</Table.Td>
                      <Table.Td>
                        <NumberInput
                          aria-label={`Quantity of ${p.label}`}
                          min={1}
                          allowDecimal={false}
                          allowNegative={false}
                          required
                          {...form.getInputProps(`products.${i}.quantity`)}
                        />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            <Text size="xs" c="dimmed">
              The quantity is how many of the product each copy includes.
            </Text>
          </Stack>
        )}

        {active === 2 && (
          <Stack data-testid="wizard-step-license-model">
            {candidates.isLoading ? (
              <Group>
                <Loader size="sm" /> <Text size="sm">Loading license models…</Text>
              </Group>
            ) : candidates.error ? (
              <Alert color="red" variant="light">
                {errorMessage(candidates.error)}
              </Alert>
            ) : null}
            {fixedModelId ? (
              <InfoGrid
                cols={2}
                items={[{ label: "License model", value: `${fixedModelName} (comes with part number ${v.part?.partId})` }]}
              />
            ) : (
              <Select
                label="License model"
                description={
                  kind === "BULK" && !test
                    ? "Needed to deploy the entitlement; may be chosen later while it is a draft."
                    : candidates.unrestricted
                      ? "The product allows any license model."
                      : productIds.length > 1
                        ? "Among the license models all the chosen products allow."
                        : "Among the license models the product allows."
                }
                placeholder={models.length ? "Choose a license model" : "No usable license model"}
                searchable
                clearable
                data={modelOptions}
                nothingFoundMessage="No license model matches"
                {...form.getInputProps("licenseModelId")}
                onChange={(id) => {
                  form.setFieldValue("licenseModelId", id);
                  form.setFieldValue(
                    "alternateLicenseModelIds",
                    form.getValues().alternateLicenseModelIds.filter((a) => a !== id),
                  );
                  rememberNames([id]);
                  form.clearFieldError("licenseModelId");
                }}
              />
            )}
            {!candidates.isLoading && hiddenModels > 0 && (
              <Text size="xs" c="dimmed">
                {hiddenModels} allowed license model{hiddenModels > 1 ? "s are" : " is"} not offered because{" "}
                {test ? "they are obsolete" : "they are not deployed (a test entitlement may use draft ones)"}.
              </Text>
            )}
            <MultiSelect
              label="Alternate license models"
              description="Up to two other models the customer may activate with."
              maxValues={2}
              clearable
              searchable
              data={modelOptions.filter((o) => o.value !== mainModelId)}
              {...form.getInputProps("alternateLicenseModelIds")}
              onChange={(ids) => {
                form.setFieldValue("alternateLicenseModelIds", ids);
                rememberNames(ids);
                form.clearFieldError("alternateLicenseModelIds");
              }}
            />
            {mainModelId && mainModel.isLoading && <Loader size="xs" />}
            {v.attributes.length > 0 && (
              <Stack gap="xs">
                <Text fw={600} size="sm">
                  Entitlement-time attributes
                </Text>
                <SimpleGrid cols={{ base: 1, sm: 2 }}>
                  {v.attributes.map((a, i) => (
                    <AttributeInput key={a.name} row={a} inputProps={form.getInputProps(`attributes.${i}.value`)} />
                  ))}
                </SimpleGrid>
              </Stack>
            )}
          </Stack>
        )}

        {active === 3 && (
          <Stack data-testid="wizard-step-configure">
            {kind === "SIMPLE" &&
              (mode === "edit" ? (
                <TextInput
                  label="Activation ID"
                  description="Only DRAFT and TEST line items can change their activation ID."
                  required
                  {...form.getInputProps("activationId")}
                  onChange={(e) => {
                    form.setFieldValue("activationId", e.currentTarget.value);
                    form.setFieldValue("activationMode", "SPECIFY");
                  }}
                />
              ) : (
                <Group align="flex-end" wrap="wrap">
                  <Radio.Group
                    label="Activation ID"
                    value={v.activationMode}
                    onChange={(m) => form.setFieldValue("activationMode", m as ConfigValues["activationMode"])}
                  >
                    <Group mt={6}>
                      <Radio value="AUTO" label="Auto Generate" />
                      <Radio value="SPECIFY" label="Specify" />
                    </Group>
                  </Radio.Group>
                  {v.activationMode === "SPECIFY" && (
                    <TextInput
                      aria-label="Specified activation ID"
                      placeholder="Activation ID"
                      required
                      w={280}
                      {...form.getInputProps("activationId")}
                    />
                  )}
                </Group>
              ))}
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label="Start date option"
                allowDeselect={false}
                data={startDateOptions}
                {...form.getInputProps("startDateOption")}
                onChange={(o) => {
                  form.setFieldValue("startDateOption", (o ?? "DEFINE_NOW") as StartDateOption);
                  if (o === "DEFINE_NOW" && !form.getValues().startDate) form.setFieldValue("startDate", todayDay());
                  form.clearFieldError("startDate");
                }}
              />
              {v.startDateOption === "DEFINE_NOW" ? (
                <TextInput label="Start date" type="date" required {...form.getInputProps("startDate")} />
              ) : (
                <Text size="sm" c="dimmed" mt={28}>
                  The start date is set when the customer activates.
                </Text>
              )}
            </SimpleGrid>
            <Radio.Group
              label="Expiration"
              value={v.expiration}
              error={form.errors.expiration}
              onChange={(x) => {
                form.setFieldValue("expiration", x as ConfigValues["expiration"]);
                form.clearFieldError("expiration");
              }}
            >
              <Group mt={6}>
                <Radio value="PERMANENT" label="Permanent" />
                <Radio value="TERM" label="Term" />
                <Radio value="DATE" label="Expiration date" />
              </Group>
            </Radio.Group>
            {v.expiration === "TERM" && <TermFields form={form} />}
            {v.expiration === "DATE" && (
              <TextInput label="Expires on" type="date" required w={220} {...form.getInputProps("expirationDate")} />
            )}
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label="Version date option"
                placeholder="None"
                clearable
                data={versionDateOptions}
                {...form.getInputProps("versionDateOption")}
              />
              {v.versionDateOption === "DEFINE_NOW" && (
                <TextInput label="Version date" type="date" required {...form.getInputProps("versionDate")} />
              )}
            </SimpleGrid>
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NumberInput
                label="Number of copies"
                description={
                  kind === "BULK"
                    ? "Per web register key: each redeemed key gets this many copies."
                    : "Copies the customer may activate."
                }
                min={1}
                allowDecimal={false}
                allowNegative={false}
                required
                {...form.getInputProps("numberOfCopies")}
              />
              <Select
                label={kind === "BULK" ? "Bulk entitlement type" : "Line item type"}
                description=" "
                allowDeselect={false}
                data={typeOptions}
                {...form.getInputProps("type")}
              />
            </SimpleGrid>
            {showAutoDeploy && (
              <Checkbox
                label="Auto deploy"
                description="Deploy the entitlement right after it is saved (needs a deployed product and license model)."
                {...form.getInputProps("autoDeploy", { type: "checkbox" })}
              />
            )}
          </Stack>
        )}

        {general && (
          <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title="Could not save" role="alert">
            {general}
          </Alert>
        )}
        <Group justify="space-between">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Group gap="xs">
            {active > 0 && (
              <Button variant="default" onClick={() => setActive((s) => s - 1)}>
                Back
              </Button>
            )}
            {active < STEPS.length - 1 ? (
              <Button onClick={next}>Next</Button>
            ) : (
              <Button onClick={finish} loading={busy}>
                {finishLabel}
              </Button>
            )}
          </Group>
        </Group>
      </Stack>
    </Modal>
  );
}

function expirationText(v: ConfigValues): string {
  if (v.expiration === "PERMANENT") return "Permanent";
  if (v.expiration === "TERM") {
    const unit = UNIT_LABELS[v.termUnit].toLowerCase();
    return `Term: ${v.termCount} ${Number(v.termCount) === 1 ? unit.replace(/s$/, "") : unit} from the start date`;
  }
  return `Expires on ${formatDate(v.expirationDate)}`;
}

/** The configured product as the page shows it (before saving, and on the entitlement page). */
export function ConfigSummary({
  config,
  kind,
  effectiveExpiry,
  extra = [],
}: {
  config: ConfigValues;
  kind: Kind;
  effectiveExpiry?: string | null;
  extra?: { label: string; value: React.ReactNode }[];
}) {
  const c = config;
  const names = (ids: string[]) => ids.map((id) => c.modelNames[id] ?? id).join(", ");
  const modelId = c.source === "PART" && c.part?.licenseModelId ? c.part.licenseModelId : c.licenseModelId;
  return (
    <InfoGrid
      items={[
        {
          label: c.source === "PART" ? "Part number" : kind === "BULK" ? "Product" : "Products",
          value:
            c.source === "PART" && c.part
              ? `${c.part.partId} (${c.part.quantity} × ${c.part.productLabel})`
              : c.products.map((p) => (Number(p.quantity) === 1 ? p.label : `${p.quantity} × ${p.label}`)).join(", "),
        },
        {
          label: "License model",
          value: modelId ? (
            (c.part?.licenseModelName ?? c.modelNames[modelId] ?? modelId)
          ) : (
            <Badge color="yellow" variant="light" radius="sm">
              Not chosen yet
            </Badge>
          ),
        },
        ...(c.alternateLicenseModelIds.length
          ? [{ label: "Alternate license models", value: names(c.alternateLicenseModelIds) }]
          : []),
        ...(c.attributes.length
          ? [
              {
                label: "Attributes",
                value: c.attributes
                  .filter((a) => a.value !== "")
                  .map((a) => `${a.name} = ${a.value}`)
                  .join(", "),
              },
            ]
          : []),
        {
          label: "Start date",
          value:
            c.startDateOption === "DEFINE_NOW"
              ? `${formatDate(c.startDate)} (specified now)`
              : START_DATE_LABELS[c.startDateOption as StartDateOption],
        },
        {
          label: "Expiration",
          value: `${expirationText(c)}${effectiveExpiry && c.expiration === "TERM" ? ` (${formatDate(effectiveExpiry)})` : ""}`,
        },
        {
          label: "Version date",
          value: c.versionDateOption
            ? c.versionDateOption === "DEFINE_NOW"
              ? formatDate(c.versionDate)
              : VERSION_DATE_LABELS[c.versionDateOption as keyof typeof VERSION_DATE_LABELS]
            : null,
        },
        { label: kind === "BULK" ? "Copies per key" : "Number of copies", value: String(c.numberOfCopies) },
        {
          label: kind === "BULK" ? "Bulk entitlement type" : "Line item type",
          value: c.type === NO_TYPE ? "None" : humanize(c.type),
        },
        ...extra,
      ]}
    />
  );
}
