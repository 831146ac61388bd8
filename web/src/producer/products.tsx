import {
  ActionIcon,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  MultiSelect,
  NumberInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { type UseFormReturnType, useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconArchive, IconEdit, IconPlus, IconRocket, IconTrash } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import type { Product } from "../../../common/src/api/products";

import { canMove, canReference, isDeletableState, PRODUCT_EDITABLE } from "../../../common/src/rules/catalog";
import { keys, type ProductInput, partNumbersApi, productsApi } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { productLabel, useLicenseModelPick, useProductPick } from "../components/catalogOptions";
import { DataTable, usePagedList } from "../components/DataTable";
import { useDetailPage } from "../components/DetailPage";
import { ConfirmButton } from "../components/Dialogs";
import { PageFormActions, useApiForm } from "../components/FormErrors";
import { HistoryButton, InfoGrid, PageHeader, Section, StateBadge } from "../components/Page";
import { changedFields, newRowKey } from "../lib/diff";
import { LIMITS, PRODUCT_STATES, PRODUCT_TYPES, type ProductState, type ProductType } from "../lib/enums";
import { formatDateTime, orNull } from "../lib/format";
import { enumOptions, humanize } from "../lib/labels";
import { all, maxLength, required, wholeNumber } from "../lib/validate";

export const productPath = (id: string) => `/products/${encodeURIComponent(id)}`;

export function ProductsListPage() {
  const perms = usePermissions();
  const navigate = useNavigate();
  const [q, setQ] = useState("");
  const [state, setState] = useState<string | null>(null);
  const [type, setType] = useState<string | null>(null);
  const list = usePagedList(keys.products, productsApi.list, { q, state, type });
  return (
    <>
      <PageHeader
        title="Products"
        description="What you sell: a name and version, the features it unlocks, and the license models it allows."
        actions={
          perms.isProducerWriter && (
            <Button component={Link} to="/products/new" leftSection={<IconPlus size={16} />}>
              Create product
            </Button>
          )
        }
      />
      <DataTable
        what="products"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search by name or version" }}
        filters={
          <>
            <Select
              aria-label="State"
              placeholder="All states"
              clearable
              data={enumOptions(PRODUCT_STATES)}
              value={state}
              onChange={setState}
              w={160}
            />
            <Select
              aria-label="Product type"
              placeholder="All types"
              clearable
              data={enumOptions(PRODUCT_TYPES)}
              value={type}
              onChange={setType}
              w={160}
            />
          </>
        }
        rowKey={(p) => p.id}
        onRowClick={(p) => navigate(productPath(p.id))}
        emptyText={q || state || type ? "No product matches these filters." : "No products yet."}
        columns={[
          {
            key: "name",
            header: "Name",
            render: (p) => (
              <Anchor component={Link} to={productPath(p.id)} size="sm" fw={500} onClick={(e) => e.stopPropagation()}>
                {p.name}
              </Anchor>
            ),
          },
          { key: "version", header: "Version", render: (p) => p.version },
          { key: "type", header: "Type", render: (p) => humanize(p.type) },
          { key: "state", header: "State", render: (p) => <StateBadge state={p.state} /> },
          { key: "features", header: "Features", align: "right", render: (p) => p.features.length },
          { key: "updated", header: "Updated", render: (p) => formatDateTime(p.updatedAt) },
        ]}
      />
    </>
  );
}

interface FeatureRow {
  key: string;
  name: string;
  version: string;
  count: number | string;
  uncounted: boolean;
}

interface ProductValues {
  name: string;
  version: string;
  type: ProductType;
  description: string;
  features: FeatureRow[];
  licenseModelIds: string[];
  upgradeToIds: string[];
  upsellToIds: string[];
}

const featureRow = (f?: { name: string; version: string; count: number | null }): FeatureRow => ({
  key: newRowKey(),
  name: f?.name ?? "",
  version: f?.version ?? "1.0",
  count: f ? (f.count ?? "") : 1,
  uncounted: f ? f.count === null : false,
});

function valuesOf(p?: Product): ProductValues {
  return {
    name: p?.name ?? "",
    version: p?.version ?? "",
    type: p?.type ?? "PRODUCT",
    description: p?.description ?? "",
    features: (p?.features ?? []).map(featureRow),
    licenseModelIds: p?.licenseModelIds ?? [],
    upgradeToIds: p?.upgradeToIds ?? [],
    upsellToIds: p?.upsellToIds ?? [],
  };
}

function bodyOf(v: ProductValues): ProductInput {
  return {
    name: v.name.trim(),
    version: v.version.trim(),
    type: v.type,
    description: orNull(v.description),
    features: v.features.map((f) => ({
      name: f.name.trim(),
      version: f.version.trim(),
      count: f.uncounted ? null : Number(f.count),
    })),
    licenseModelIds: v.licenseModelIds,
    upgradeToIds: v.upgradeToIds,
    upsellToIds: v.upsellToIds,
  };
}

const rowIndex = (path: string) => Number(path.split(".")[1]);

function FeaturesEditor({ form, disabled }: { form: UseFormReturnType<ProductValues, any, any>; disabled: boolean }) {
  const rows = form.values.features;
  return (
    <Stack gap="xs">
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">
          No features yet. Features are what the license unlocks in your software.
        </Text>
      ) : (
        <Table
          className="editor-table"
          verticalSpacing={6}
          horizontalSpacing="xs"
          withRowBorders={false}
          data-testid="features-editor"
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Feature name</Table.Th>
              <Table.Th w={160}>Feature version</Table.Th>
              <Table.Th w={140}>Count</Table.Th>
              <Table.Th w={120} />
              <Table.Th w={40} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row, i) => (
              <Table.Tr key={row.key}>
                <Table.Td>
                  <TextInput aria-label="Feature name" disabled={disabled} {...form.getInputProps(`features.${i}.name`)} />
                </Table.Td>
                <Table.Td>
                  <TextInput aria-label="Feature version" disabled={disabled} {...form.getInputProps(`features.${i}.version`)} />
                </Table.Td>
                <Table.Td>
                  <NumberInput
                    aria-label="Count"
                    min={1}
                    allowDecimal={false}
                    allowNegative={false}
                    disabled={disabled || row.uncounted}
                    placeholder={row.uncounted ? "Uncounted" : undefined}
                    {...form.getInputProps(`features.${i}.count`)}
                    value={row.uncounted ? "" : row.count}
                  />
                </Table.Td>
                <Table.Td>
                  {/* Not labelled "Uncounted": that would also match getByLabel("Count"). */}
                  <Checkbox
                    label="Unlimited"
                    title="Uncounted: no limit on this feature's count"
                    mt={6}
                    disabled={disabled}
                    {...form.getInputProps(`features.${i}.uncounted`, { type: "checkbox" })}
                    onChange={(e) => {
                      form.setFieldValue(`features.${i}.uncounted`, e.currentTarget.checked);
                      form.clearFieldError(`features.${i}.count`);
                    }}
                  />
                </Table.Td>
                <Table.Td>
                  {!disabled && (
                    <Tooltip label="Remove feature">
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        mt={4}
                        aria-label="Remove feature"
                        onClick={() => form.removeListItem("features", i)}
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
      )}
      {!disabled && (
        <Group>
          <Button
            variant="light"
            size="xs"
            leftSection={<IconPlus size={14} />}
            onClick={() => form.insertListItem("features", featureRow())}
          >
            Add feature
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function ProductForm({ product, onDone, onCancel }: { product?: Product; onDone: (p: Product) => void; onCancel: () => void }) {
  const creating = !product;
  const qc = useQueryClient();
  const models = useLicenseModelPick();
  const products = useProductPick();
  const editable = new Set<string>(PRODUCT_EDITABLE[product?.state ?? "DRAFT"]);
  const locked = (f: string) => !editable.has(f);
  const form = useForm<ProductValues>({
    initialValues: valuesOf(product),
    validate: {
      name: all(required("Name"), maxLength(LIMITS.nameMax)),
      version: all(required("Version"), maxLength(LIMITS.nameMax)),
      description: maxLength(LIMITS.descriptionMax),
      features: {
        name: required("Feature name"),
        version: required("Feature version"),
        count: (v, values, path) =>
          values.features[rowIndex(path)]?.uncounted ? null : (required("Count")(v) ?? wholeNumber(1)(v)),
      },
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) =>
      creating
        ? productsApi.create(bodyOf(v))
        : productsApi.update(product.id, changedFields(bodyOf(valuesOf(product)) as Record<string, unknown>, bodyOf(v))),
    {
      onSuccess: (p) => {
        qc.invalidateQueries({ queryKey: keys.products });
        qc.invalidateQueries({ queryKey: keys.partNumbers });
        notifications.show({ color: "green", message: creating ? `Product ${productLabel(p)} created.` : "Product saved." });
        onDone(p);
      },
    },
  );
  const modelOptions = models.items
    .filter((m) => canReference(m.state, form.values.licenseModelIds.includes(m.id)))
    .map((m) => ({ value: m.id, label: m.state === "DRAFT" ? `${m.name} (draft)` : m.name }));
  // Keep selected IDs visible even if the pick list does not hold them.
  for (const id of form.values.licenseModelIds)
    if (!modelOptions.some((o) => o.value === id)) modelOptions.push({ value: id, label: id });
  const productOptions = (selected: string[]) => {
    const opts = products.items.filter((p) => p.id !== product?.id).map((p) => ({ value: p.id, label: productLabel(p) }));
    for (const id of selected) if (!opts.some((o) => o.value === id)) opts.push({ value: id, label: id });
    return opts;
  };
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <Section title="Product">
          {product && product.state !== "DRAFT" && (
            <Text size="sm" c="dimmed" mb="sm">
              This product is {product.state.toLowerCase()}: only its description and licensing can change.
            </Text>
          )}
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput label="Name" required disabled={locked("name")} {...form.getInputProps("name")} />
            <TextInput label="Version" required disabled={locked("version")} {...form.getInputProps("version")} />
            <Select
              label="Product type"
              allowDeselect={false}
              disabled={locked("type")}
              data={enumOptions(PRODUCT_TYPES)}
              {...form.getInputProps("type")}
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
        <Section title="Features">
          <FeaturesEditor form={form} disabled={locked("features")} />
        </Section>
        <Section title="Licensing">
          <Stack>
            <MultiSelect
              label="Allowed license models"
              description="How this product may be licensed. A product can be deployed only when these are deployed."
              placeholder={form.values.licenseModelIds.length ? undefined : "Choose license models"}
              searchable
              clearable
              disabled={locked("licenseModelIds")}
              data={modelOptions}
              nothingFoundMessage={models.error ? "Could not load license models" : "No license model matches"}
              {...form.getInputProps("licenseModelIds")}
            />
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <MultiSelect
                label="Upgrade to"
                description="Products a line item of this product can be upgraded to."
                searchable
                clearable
                disabled={locked("upgradeToIds")}
                data={productOptions(form.values.upgradeToIds)}
                nothingFoundMessage="No product matches"
                {...form.getInputProps("upgradeToIds")}
              />
              <MultiSelect
                label="Upsell to"
                description="Products this product can be upsold to."
                searchable
                clearable
                disabled={locked("upsellToIds")}
                data={productOptions(form.values.upsellToIds)}
                nothingFoundMessage="No product matches"
                {...form.getInputProps("upsellToIds")}
              />
            </SimpleGrid>
          </Stack>
        </Section>
        <PageFormActions error={error} onCloseError={() => setError(null)} pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

export function ProductCreatePage() {
  const navigate = useNavigate();
  return (
    <>
      <PageHeader title="Create product" crumbs={[{ label: "Product list", to: "/products" }]} />
      <ProductForm onDone={(p) => navigate(productPath(p.id))} onCancel={() => navigate("/products")} />
    </>
  );
}

export function ProductDetailPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const models = useLicenseModelPick();
  const products = useProductPick();
  const page = useDetailPage({
    queryKey: [...keys.products, "detail", id],
    load: () => productsApi.get(id),
    list: { label: "Product list", to: "/products" },
    title: "Product",
    what: "the product",
    editTitle: (p) => `Edit ${productLabel(p)}`,
    crumb: (p) => ({ label: productLabel(p), to: productPath(id) }),
    form: (p, done) => <ProductForm product={p} onDone={done} onCancel={done} />,
  });
  const parts = useQuery({
    queryKey: [...keys.partNumbers, "of-product", id],
    queryFn: () => partNumbersApi.list({ productId: id, limit: 50 }),
    enabled: !!page.object,
  });
  if (page.element) return page.element;
  const { object: product, crumbs } = page;
  const changeState = async (state: ProductState, words: string) => {
    await productsApi.changeState(product.id, state);
    qc.invalidateQueries({ queryKey: keys.products });
    notifications.show({ color: "green", message: `${productLabel(product)} ${words}.` });
  };
  const productLinks = (ids: string[]) =>
    ids.length === 0 ? null : (
      <Group gap={6}>
        {ids.map((pid) => (
          <Anchor key={pid} component={Link} to={productPath(pid)} size="sm">
            {products.byId.get(pid) ? productLabel(products.byId.get(pid) as Product) : pid}
          </Anchor>
        ))}
      </Group>
    );
  return (
    <>
      <PageHeader
        title={
          <>
            {product.name}{" "}
            <Text span c="dimmed" inherit fw={400}>
              {product.version}
            </Text>
          </>
        }
        badge={<StateBadge state={product.state} />}
        crumbs={crumbs}
        actions={
          <>
            <HistoryButton objectType="product" objectId={product.id} />
            {perms.isProducerWriter && (
              <>
                {PRODUCT_EDITABLE[product.state].length > 0 && (
                  <Button variant="default" leftSection={<IconEdit size={16} />} onClick={page.edit}>
                    Edit
                  </Button>
                )}
                {canMove(product.state, "DEPLOYED") && (
                  <ConfirmButton
                    title="Deploy product"
                    message={`Deploy ${productLabel(product)}? Deployed products can be entitled; their name, version and features can no longer change.`}
                    confirmLabel="Deploy"
                    color="green"
                    leftSection={<IconRocket size={16} />}
                    onConfirm={() => changeState("DEPLOYED", "deployed")}
                  >
                    Deploy
                  </ConfirmButton>
                )}
                {canMove(product.state, "OBSOLETE") && (
                  <ConfirmButton
                    title="Make product obsolete"
                    message={`Make ${productLabel(product)} obsolete? It can no longer be entitled. This cannot be undone.`}
                    confirmLabel="Make obsolete"
                    color="orange"
                    leftSection={<IconArchive size={16} />}
                    onConfirm={() => changeState("OBSOLETE", "is now obsolete")}
                  >
                    Make obsolete
                  </ConfirmButton>
                )}
                {isDeletableState(product.state) && (
                  <ConfirmButton
                    title="Delete product"
                    message={`Delete ${productLabel(product)}? Only draft products that nothing refers to can be deleted.`}
                    confirmLabel="Delete product"
                    leftSection={<IconTrash size={16} />}
                    onConfirm={async () => {
                      await productsApi.remove(product.id);
                      qc.invalidateQueries({ queryKey: keys.products });
                      notifications.show({ color: "green", message: `${productLabel(product)} deleted.` });
                      navigate("/products");
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
              { label: "Name", value: product.name },
              { label: "Version", value: product.version },
              { label: "Type", value: humanize(product.type) },
              { label: "State", value: <StateBadge state={product.state} /> },
              { label: "Created", value: formatDateTime(product.createdAt) },
              { label: "Updated", value: formatDateTime(product.updatedAt) },
              { label: "Description", value: product.description },
            ]}
          />
        </Section>
        <Section title={`Features (${product.features.length})`}>
          {product.features.length === 0 ? (
            <Text size="sm" c="dimmed">
              This product has no features.
            </Text>
          ) : (
            <Table verticalSpacing={6} fz="sm" striped data-testid="product-features">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Feature name</Table.Th>
                  <Table.Th>Feature version</Table.Th>
                  <Table.Th>Count</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {product.features.map((f) => (
                  <Table.Tr key={`${f.name}/${f.version}`}>
                    <Table.Td>{f.name}</Table.Td>
                    <Table.Td>{f.version}</Table.Td>
                    <Table.Td>
                      {f.count === null ? (
                        <Badge variant="light" color="gray" radius="sm">
                          Uncounted
                        </Badge>
                      ) : (
                        f.count
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
        <Section title="Licensing">
          <InfoGrid
            items={[
              {
                label: "Allowed license models",
                value:
                  product.licenseModelIds.length === 0 ? null : (
                    <Group gap={6}>
                      {product.licenseModelIds.map((mid) => {
                        const m = models.byId.get(mid);
                        return (
                          <Anchor key={mid} component={Link} to={`/license-models/${encodeURIComponent(mid)}`} size="sm">
                            {m ? m.name : mid}
                          </Anchor>
                        );
                      })}
                    </Group>
                  ),
              },
              { label: "Upgrade to", value: productLinks(product.upgradeToIds) },
              { label: "Upsell to", value: productLinks(product.upsellToIds) },
            ]}
          />
        </Section>
        <Section
          title="Part numbers"
          actions={
            perms.isProducerWriter &&
            product.state !== "OBSOLETE" && (
              <Button
                size="xs"
                variant="light"
                leftSection={<IconPlus size={14} />}
                component={Link}
                to={`/part-numbers/new?productId=${encodeURIComponent(product.id)}`}
              >
                Add part number
              </Button>
            )
          }
        >
          {parts.error ? (
            <Text size="sm" c="dimmed">
              Part numbers could not be loaded.
            </Text>
          ) : (parts.data?.items.length ?? 0) === 0 ? (
            <Text size="sm" c="dimmed">
              No part number sells this product yet.
            </Text>
          ) : (
            <Table verticalSpacing={6} fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Part number</Table.Th>
                  <Table.Th>Quantity</Table.Th>
                  <Table.Th>License model</Table.Th>
                  <Table.Th>Description</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {parts.data?.items.map((pn) => (
                  <Table.Tr key={pn.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/part-numbers/${encodeURIComponent(pn.id)}`} size="sm">
                        {pn.partId}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{pn.quantity}</Table.Td>
                    <Table.Td>{pn.licenseModelName ?? "—"}</Table.Td>
                    <Table.Td>{pn.description ?? "—"}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
      </Stack>
    </>
  );
}
