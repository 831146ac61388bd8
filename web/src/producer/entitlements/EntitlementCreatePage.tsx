import { ActionIcon, Alert, Button, Checkbox, Group, List, Stack, Table, Text, Tooltip } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconEdit, IconFlask, IconPackage, IconPlus, IconTrash } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useNavigate } from "react-router-dom";
import type { Entitlement } from "../../../../common/src/api/entitlements";
import type { StartDateOption } from "../../../../common/src/rules/terms";
import { type EntitlementCreateInput, entitlementsApi, keys } from "../../api/endpoints";
import { FormAlert } from "../../components/FormErrors";
import { PageHeader, Section } from "../../components/Page";
import { newRowKey } from "../../lib/diff";
import { formatDate } from "../../lib/format";
import { humanize, sentence } from "../../lib/labels";
import { applyHeaderErrors, HeaderFields, headerValidation } from "./HeaderFields";
import {
  bulkProductBody,
  type ConfigValues,
  configFieldName,
  configFieldPath,
  ENTITLEMENT_ROUTES,
  emptyConfig,
  emptyHeader,
  entitlementPath,
  type HeaderValues,
  headerBody,
  type Kind,
  lineItemBody,
  NO_TYPE,
  START_DATE_LABELS,
} from "./model";
import { ConfigSummary, ProductWizard } from "./ProductWizard";

interface PendingItem {
  key: string;
  values: ConfigValues;
  errors: Record<string, string>;
}

/** Problems the server found in a configuration, as wizard paths → words. */
function configErrorsOf(items: { field: string; message: string }[], v: ConfigValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of items) out[configFieldPath(e.field, v)] = sentence(e.message);
  return out;
}

function ConfigErrors({ errors, values }: { errors: Record<string, string>; values: ConfigValues }) {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <Alert color="red" variant="light" mt="sm" title="Fix in the wizard" data-testid="config-errors">
      <List size="sm">
        {entries.map(([path, msg]) => (
          <List.Item key={path}>
            {configFieldName(path, values)}: {msg}
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}

export function lineItemExpiry(v: ConfigValues): string {
  if (v.expiration === "PERMANENT") return "Permanent";
  if (v.expiration === "TERM") {
    const unit = humanize(v.termUnit).toLowerCase();
    return `${v.termCount} ${Number(v.termCount) === 1 ? unit.replace(/s$/, "") : unit}`;
  }
  return formatDate(v.expirationDate);
}

export function lineItemStart(v: ConfigValues): string {
  return v.startDateOption === "DEFINE_NOW" ? formatDate(v.startDate) : START_DATE_LABELS[v.startDateOption as StartDateOption];
}

const productsText = (v: ConfigValues) =>
  v.source === "PART" && v.part
    ? `${v.part.partId} (${v.part.productLabel})`
    : v.products.map((p) => (Number(p.quantity) === 1 ? p.label : `${p.quantity} × ${p.label}`)).join(", ");

/**
 * Entitlements > Create Bulk / Create Test Bulk / Create Simple: the header, then "Add Product"
 * (bulk) or line items (simple) through the wizard, then Save.
 */
export function EntitlementCreatePage({ kind, test = false }: { kind: Kind; test?: boolean }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const form = useForm<HeaderValues>({
    initialValues: emptyHeader(),
    validate: headerValidation,
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const [product, setProduct] = useState<ConfigValues | null>(null);
  const [productErrors, setProductErrors] = useState<Record<string, string>>({});
  const [items, setItems] = useState<PendingItem[]>([]);
  const [wizard, setWizard] = useState<null | { index: number | null }>(null);
  const [autoDeploy, setAutoDeploy] = useState(false);
  const [general, setGeneral] = useState<string | null>(null);
  const [missing, setMissing] = useState<string | null>(null);

  const save = useMutation({
    mutationFn: (body: EntitlementCreateInput) => entitlementsApi.create(body),
    onSuccess: (e: Entitlement) => {
      qc.invalidateQueries({ queryKey: keys.entitlements });
      notifications.show({
        color: "green",
        message: `${test ? "Test bulk" : kind === "BULK" ? "Bulk" : "Simple"} entitlement ${e.entitlementId} created${e.state === "DEPLOYED" ? " and deployed" : ""}.`,
      });
      navigate(entitlementPath(e.id));
    },
    onError: (err) => {
      const { general: g, config } = applyHeaderErrors(form, err);
      setGeneral(
        g && config.length && kind === "SIMPLE" && g.startsWith("Some of the product configuration")
          ? "Some line items need fixing: see the problems shown in the line items table."
          : g,
      );
      if (kind === "BULK" && product) setProductErrors(configErrorsOf(config, product));
      if (kind === "SIMPLE")
        setItems((list) =>
          list.map((it, i) => ({
            ...it,
            errors: configErrorsOf(
              config.filter((c) => c.index === i),
              it.values,
            ),
          })),
        );
    },
  });

  const onSubmit = form.onSubmit(
    (values) => {
      setGeneral(null);
      setMissing(null);
      const body: EntitlementCreateInput = { kind, ...headerBody(values) };
      if (test) body.test = true;
      if (kind === "BULK") {
        body.product = product ? bulkProductBody(product) : null;
        if (product?.autoDeploy && !test) body.autoDeploy = true;
      } else {
        if (items.length === 0) {
          setMissing("Add at least one line item.");
          return;
        }
        // Two line items cannot specify the same activation ID.
        const seen = new Map<string, number>();
        let dup = false;
        const checked = items.map((it, i) => {
          const id = it.values.activationMode === "SPECIFY" ? it.values.activationId.trim() : "";
          if (!id) return it;
          const first = seen.get(id);
          seen.set(id, first ?? i);
          if (first === undefined) return it;
          dup = true;
          return { ...it, errors: { ...it.errors, activationId: `Same activation ID as line item ${first + 1}` } };
        });
        if (dup) {
          setItems(checked);
          setGeneral("Two line items specify the same activation ID: edit one of them.");
          return;
        }
        body.lineItems = items.map((it) => lineItemBody(it.values, "create"));
        if (autoDeploy) body.autoDeploy = true;
      }
      save.mutate(body);
    },
    () => setGeneral(null),
  );

  const title = test
    ? "Create a Test Bulk Entitlement"
    : kind === "BULK"
      ? "Create a Bulk Entitlement"
      : "Create a Simple Entitlement";
  const editing = wizard?.index != null ? items[wizard.index] : undefined;
  return (
    <>
      <PageHeader
        title={title}
        crumbs={[{ label: "Entitlements", to: ENTITLEMENT_ROUTES.list }]}
        description={
          kind === "BULK"
            ? "A bulk entitlement holds one product that end users license through web register keys; no license is ever generated from its own ID."
            : "A simple entitlement records what a customer bought: its line items are activated into licenses."
        }
      />
      {test && (
        <Alert color="grape" variant="light" icon={<IconFlask size={18} />} mb="md" title="Test entitlement">
          It is created in state TEST and never changes state. It may use draft products and license models; keys redeemed from it
          give test entitlements.
        </Alert>
      )}
      <form onSubmit={onSubmit} noValidate>
        <Stack>
          <HeaderFields form={form} kind={kind} mode="create" />
          {kind === "BULK" ? (
            <Section
              title="Product"
              actions={
                product ? (
                  <>
                    <Button
                      size="xs"
                      variant="light"
                      leftSection={<IconEdit size={14} />}
                      onClick={() => setWizard({ index: null })}
                    >
                      Edit product
                    </Button>
                    <Button
                      size="xs"
                      variant="subtle"
                      color="red"
                      leftSection={<IconTrash size={14} />}
                      onClick={() => {
                        setProduct(null);
                        setProductErrors({});
                      }}
                    >
                      Remove product
                    </Button>
                  </>
                ) : null
              }
            >
              {product ? (
                <Stack gap="xs" data-testid="product-summary">
                  <ConfigSummary
                    config={product}
                    kind="BULK"
                    extra={test ? [] : [{ label: "Auto deploy", value: product.autoDeploy ? "Yes, right after saving" : "No" }]}
                  />
                  <ConfigErrors errors={productErrors} values={product} />
                </Stack>
              ) : (
                <Stack align="flex-start" gap="xs">
                  <Text size="sm" c="dimmed">
                    No product yet. Add the one product this entitlement sells (you may also add it after saving). Web register
                    keys are loaded once the entitlement exists.
                  </Text>
                  <Button leftSection={<IconPackage size={16} />} variant="light" onClick={() => setWizard({ index: null })}>
                    Add Product
                  </Button>
                </Stack>
              )}
            </Section>
          ) : (
            <Section
              title={`Line items (${items.length})`}
              actions={
                <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => setWizard({ index: null })}>
                  Add line item
                </Button>
              }
            >
              {items.length === 0 ? (
                <Text size="sm" c={missing ? "red" : "dimmed"}>
                  {missing ??
                    "No line items yet. Each line item is products (or a part number) with a license model and a number of copies."}
                </Text>
              ) : (
                <Table verticalSpacing={6} fz="sm" data-testid="pending-line-items">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Activation ID</Table.Th>
                      <Table.Th>Products</Table.Th>
                      <Table.Th>License model</Table.Th>
                      <Table.Th>Copies</Table.Th>
                      <Table.Th>Start</Table.Th>
                      <Table.Th>Expiration</Table.Th>
                      <Table.Th>Type</Table.Th>
                      <Table.Th w={80} />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {items.map((it, i) => {
                      const v = it.values;
                      const errs = Object.keys(it.errors).length;
                      return (
                        <Table.Tr key={it.key}>
                          <Table.Td>
                            {v.activationMode === "SPECIFY" ? (
                              v.activationId
                            ) : (
                              <Text c="dimmed" size="sm">
                                Auto Generate
                              </Text>
                            )}
                            {errs > 0 && (
                              <Text c="red" size="xs">
                                {Object.entries(it.errors)
                                  .map(([p, m]) => `${configFieldName(p, v)}: ${m}`)
                                  .join("; ")}
                              </Text>
                            )}
                          </Table.Td>
                          <Table.Td>{productsText(v)}</Table.Td>
                          <Table.Td>{v.licenseModelId ? (v.modelNames[v.licenseModelId] ?? v.licenseModelId) : "—"}</Table.Td>
                          <Table.Td>{String(v.numberOfCopies)}</Table.Td>
                          <Table.Td>{lineItemStart(v)}</Table.Td>
                          <Table.Td>{lineItemExpiry(v)}</Table.Td>
                          <Table.Td>{v.type === NO_TYPE ? "—" : humanize(v.type)}</Table.Td>
                          <Table.Td>
                            <Group gap={4} wrap="nowrap">
                              <Tooltip label="Edit line item">
                                <ActionIcon variant="subtle" aria-label="Edit line item" onClick={() => setWizard({ index: i })}>
                                  <IconEdit size={16} />
                                </ActionIcon>
                              </Tooltip>
                              <Tooltip label="Remove line item">
                                <ActionIcon
                                  variant="subtle"
                                  color="red"
                                  aria-label="Remove line item"
                                  onClick={() => setItems((l) => l.filter((x) => x.key !== it.key))}
                                >
                                  <IconTrash size={16} />
                                </ActionIcon>
                              </Tooltip>
                            </Group>
                          </Table.Td>
                        </Table.Tr>
                      );
                    })}
                  </Table.Tbody>
                </Table>
              )}
              <Checkbox
                mt="md"
                label="Auto deploy"
                description="Deploy the entitlement and its line items right after saving."
                checked={autoDeploy}
                onChange={(e) => setAutoDeploy(e.currentTarget.checked)}
              />
            </Section>
          )}
          <FormAlert error={general} onClose={() => setGeneral(null)} />
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
            <Button variant="default" onClick={() => navigate(ENTITLEMENT_ROUTES.list)}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
      {wizard &&
        (kind === "BULK" ? (
          <ProductWizard
            kind="BULK"
            test={test}
            title={product ? "Edit product" : "Add Product"}
            initial={product ?? emptyConfig()}
            initialErrors={productErrors}
            showAutoDeploy={!test}
            onClose={() => setWizard(null)}
            onDone={(v) => {
              setProduct(v);
              setProductErrors({});
              setWizard(null);
            }}
          />
        ) : (
          <ProductWizard
            kind="SIMPLE"
            test={test}
            title={editing ? "Edit line item" : "Add line item"}
            initial={editing?.values ?? emptyConfig()}
            initialErrors={editing?.errors}
            onClose={() => setWizard(null)}
            onDone={(v) => {
              setMissing(null);
              setItems((list) =>
                editing
                  ? list.map((x) => (x.key === editing.key ? { ...x, values: v, errors: {} } : x))
                  : [...list, { key: newRowKey(), values: v, errors: {} }],
              );
              setWizard(null);
            }}
          />
        ))}
    </>
  );
}

export const CreateBulkEntitlementPage = () => <EntitlementCreatePage kind="BULK" />;
export const CreateTestBulkEntitlementPage = () => <EntitlementCreatePage kind="BULK" test />;
export const CreateSimpleEntitlementPage = () => <EntitlementCreatePage kind="SIMPLE" />;
