import { Anchor, Button, NumberInput, Select, SimpleGrid, Stack, Textarea, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconEdit, IconPlus, IconTrash } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import type { PartNumber } from "../../../common/src/api/partNumbers";
import { canReference } from "../../../common/src/rules/catalog";
import { keys, type PartNumberInput, partNumbersApi } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { productLabel, useLicenseModelPick, useProductPick } from "../components/catalogOptions";
import { DataTable, usePagedList } from "../components/DataTable";
import { useDetailPage } from "../components/DetailPage";
import { ConfirmButton } from "../components/Dialogs";
import { PageFormActions, useApiForm } from "../components/FormErrors";
import { HistoryButton, InfoGrid, PageHeader, Section } from "../components/Page";
import { changedFields } from "../lib/diff";
import { LIMITS } from "../lib/enums";
import { formatDateTime, orNull } from "../lib/format";
import { all, idChars, maxLength, required, wholeNumber } from "../lib/validate";

const partPath = (id: string) => `/part-numbers/${encodeURIComponent(id)}`;

export function PartNumbersListPage() {
  const perms = usePermissions();
  const navigate = useNavigate();
  const products = useProductPick();
  const [q, setQ] = useState("");
  const [productId, setProductId] = useState<string | null>(null);
  const list = usePagedList(keys.partNumbers, partNumbersApi.list, { q, productId });
  return (
    <>
      <PageHeader
        title="Part Numbers"
        description="The SKUs your ERP orders use: each names a product, a quantity and optionally a license model."
        actions={
          perms.isProducerWriter && (
            <Button component={Link} to="/part-numbers/new" leftSection={<IconPlus size={16} />}>
              Create part number
            </Button>
          )
        }
      />
      <DataTable
        what="part numbers"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search by part number or description" }}
        filters={
          <Select
            aria-label="Product"
            placeholder="All products"
            clearable
            searchable
            data={products.items.map((p) => ({ value: p.id, label: productLabel(p) }))}
            value={productId}
            onChange={setProductId}
            w={240}
          />
        }
        rowKey={(p) => p.id}
        onRowClick={(p) => navigate(partPath(p.id))}
        emptyText={q || productId ? "No part number matches these filters." : "No part numbers yet."}
        columns={[
          {
            key: "part",
            header: "Part number",
            render: (p) => (
              <Anchor component={Link} to={partPath(p.id)} size="sm" fw={500} onClick={(e) => e.stopPropagation()}>
                {p.partId}
              </Anchor>
            ),
          },
          { key: "product", header: "Product", render: (p) => `${p.productName} ${p.productVersion}` },
          { key: "qty", header: "Quantity", align: "right", render: (p) => p.quantity },
          { key: "model", header: "License model", render: (p) => p.licenseModelName ?? "—" },
          { key: "desc", header: "Description", render: (p) => p.description ?? "—" },
        ]}
      />
    </>
  );
}

interface PartValues {
  partId: string;
  description: string;
  productId: string | null;
  quantity: number | string;
  licenseModelId: string | null;
}

function valuesOf(p?: PartNumber, productId?: string | null): PartValues {
  return {
    partId: p?.partId ?? "",
    description: p?.description ?? "",
    productId: p?.productId ?? productId ?? null,
    quantity: p?.quantity ?? 1,
    licenseModelId: p?.licenseModelId ?? null,
  };
}

function bodyOf(v: PartValues): PartNumberInput {
  return {
    partId: v.partId.trim(),
    description: orNull(v.description),
    productId: v.productId ?? "",
    quantity: Number(v.quantity),
    licenseModelId: v.licenseModelId,
  };
}

function PartNumberForm({
  part,
  productId,
  onDone,
  onCancel,
}: {
  part?: PartNumber;
  productId?: string | null;
  onDone: (p: PartNumber) => void;
  onCancel: () => void;
}) {
  const creating = !part;
  const qc = useQueryClient();
  const products = useProductPick();
  const models = useLicenseModelPick();
  const form = useForm<PartValues>({
    initialValues: valuesOf(part, productId),
    validate: {
      partId: all(required("Part number"), idChars, maxLength(LIMITS.idMax)),
      description: maxLength(LIMITS.descriptionMax),
      productId: required("Product"),
      quantity: all(required("Quantity"), wholeNumber(1)),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => {
      if (creating) {
        const body = bodyOf(v);
        if (body.description === null) delete body.description;
        if (body.licenseModelId === null) delete body.licenseModelId;
        return partNumbersApi.create(body);
      }
      return partNumbersApi.update(part.id, changedFields(bodyOf(valuesOf(part)) as Record<string, unknown>, bodyOf(v)));
    },
    {
      onSuccess: (p) => {
        qc.invalidateQueries({ queryKey: keys.partNumbers });
        notifications.show({ color: "green", message: creating ? `Part number ${p.partId} created.` : "Part number saved." });
        onDone(p);
      },
    },
  );
  const product = form.values.productId ? products.byId.get(form.values.productId) : undefined;
  // Offer the product's allowed license models when it names some; otherwise every usable model.
  const allowed = product && product.licenseModelIds.length > 0 ? new Set(product.licenseModelIds) : null;
  const modelOptions = models.items
    .filter((m) => (allowed ? allowed.has(m.id) : canReference(m.state, false)) || m.id === form.values.licenseModelId)
    .map((m) => ({ value: m.id, label: m.state === "DRAFT" ? `${m.name} (draft)` : m.name }));
  const productOptions = products.items
    .filter((p) => canReference(p.state, p.id === form.values.productId))
    .map((p) => ({ value: p.id, label: productLabel(p) }));
  if (form.values.productId && !productOptions.some((o) => o.value === form.values.productId))
    productOptions.push({
      value: form.values.productId,
      label: part ? `${part.productName} ${part.productVersion}` : form.values.productId,
    });
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <Section title="Part number">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Part number" required {...form.getInputProps("partId")} />
            <Select
              label="Product"
              required
              searchable
              data={productOptions}
              nothingFoundMessage={products.isLoading ? "Loading…" : "No product matches"}
              {...form.getInputProps("productId")}
            />
            <NumberInput
              label="Quantity"
              required
              min={1}
              allowDecimal={false}
              allowNegative={false}
              {...form.getInputProps("quantity")}
            />
            <Select
              label="License model"
              description={allowed ? "Models the chosen product allows." : undefined}
              placeholder="Product default"
              clearable
              data={modelOptions}
              {...form.getInputProps("licenseModelId")}
            />
          </SimpleGrid>
          <Textarea label="Description" mt="sm" autosize minRows={2} maxRows={6} {...form.getInputProps("description")} />
        </Section>
        <PageFormActions error={error} onCloseError={() => setError(null)} pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

export function PartNumberCreatePage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return (
    <>
      <PageHeader title="Create part number" crumbs={[{ label: "Part number list", to: "/part-numbers" }]} />
      <PartNumberForm
        productId={params.get("productId")}
        onDone={(p) => navigate(partPath(p.id))}
        onCancel={() => navigate(-1)}
      />
    </>
  );
}

export function PartNumberDetailPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const page = useDetailPage({
    queryKey: [...keys.partNumbers, "detail", id],
    load: () => partNumbersApi.get(id),
    list: { label: "Part number list", to: "/part-numbers" },
    title: "Part number",
    what: "the part number",
    editTitle: (p) => `Edit ${p.partId}`,
    crumb: (p) => ({ label: p.partId, to: partPath(id) }),
    form: (p, done) => <PartNumberForm part={p} onDone={done} onCancel={done} />,
  });
  if (page.element) return page.element;
  const { object: part, crumbs } = page;
  return (
    <>
      <PageHeader
        title={part.partId}
        crumbs={crumbs}
        actions={
          <>
            <HistoryButton objectType="partNumber" objectId={part.id} />
            {perms.isProducerWriter && (
              <>
                <Button variant="default" leftSection={<IconEdit size={16} />} onClick={page.edit}>
                  Edit
                </Button>
                <ConfirmButton
                  title="Delete part number"
                  message={`Delete part number ${part.partId}? Part numbers that entitlements use cannot be deleted.`}
                  confirmLabel="Delete part number"
                  leftSection={<IconTrash size={16} />}
                  onConfirm={async () => {
                    await partNumbersApi.remove(part.id);
                    qc.invalidateQueries({ queryKey: keys.partNumbers });
                    notifications.show({ color: "green", message: `Part number ${part.partId} deleted.` });
                    navigate("/part-numbers");
                  }}
                >
                  Delete
                </ConfirmButton>
              </>
            )}
          </>
        }
      />
      <Section title="Details">
        <InfoGrid
          items={[
            { label: "Part number", value: part.partId },
            {
              label: "Product",
              value: (
                <Anchor component={Link} to={`/products/${encodeURIComponent(part.productId)}`} size="sm">
                  {part.productName} {part.productVersion}
                </Anchor>
              ),
            },
            { label: "Quantity", value: part.quantity },
            {
              label: "License model",
              value: part.licenseModelId ? (
                <Anchor component={Link} to={`/license-models/${encodeURIComponent(part.licenseModelId)}`} size="sm">
                  {part.licenseModelName ?? part.licenseModelId}
                </Anchor>
              ) : null,
            },
            { label: "Created", value: formatDateTime(part.createdAt) },
            { label: "Updated", value: formatDateTime(part.updatedAt) },
            { label: "Description", value: part.description },
          ]}
        />
      </Section>
    </>
  );
}
