import {
  ActionIcon,
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Group,
  Loader,
  Menu,
  Modal,
  Stack,
  Table,
  Tabs,
  Text,
  Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import {
  IconChartBar,
  IconChevronDown,
  IconCopy,
  IconDots,
  IconEdit,
  IconHierarchy2,
  IconHistory,
  IconInfoCircle,
  IconKey,
  IconListDetails,
  IconPackage,
  IconPlus,
  IconRefresh,
  IconTransform,
  IconTrash,
} from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import type { Entitlement, LineItem } from "../../../../common/src/api/entitlements";
import { canAddLineItems, isEditableState, isLineItemDeletable } from "../../../../common/src/rules/entitlementStates";
import { isKeyRedeemable } from "../../../../common/src/rules/keys";
import { errorMessage } from "../../api/client";
import { entitlementsApi, keys } from "../../api/endpoints";
import { usePermissions } from "../../auth/session";
import { AccountLink } from "../../components/AccountName";
import { FormAlert, LoadError } from "../../components/FormErrors";
import { InfoGrid, PageHeader, Section, StateBadge } from "../../components/Page";
import { changedFields } from "../../lib/diff";
import { formatCount, formatDate, formatDateTime } from "../../lib/format";
import { humanize } from "../../lib/labels";
import { ActivateDialog, canActivate } from "../../licenses/ActivateDialog";
import { useIsLicenser } from "../../licenses/fields";
import { licensesPath } from "../../licenses/words";
import { ActivateByKeyModal, EntitlementRef } from "./ActivateByKey";
import { lineItemExpiry, lineItemStart } from "./EntitlementCreatePage";
import { applyHeaderErrors, HeaderFields, headerValidation } from "./HeaderFields";
import { useLifecycleActions } from "./LifecycleActions";
import {
  bulkProductBody,
  type ConfigValues,
  configFromJson,
  ENTITLEMENT_ROUTES,
  EVENT_LABELS,
  emptyConfig,
  entitlementPath,
  type HeaderValues,
  headerBody,
  headerFromEntitlement,
  lineItemBody,
  stateMoves,
} from "./model";
import { ConfigSummary, ProductWizard } from "./ProductWizard";
import { KeySummaryLine, useKeyCounts, WebRegisterKeysPanel } from "./WebRegisterKeys";

/** The key total on the bulk entitlement's keys tab. */
function KeyTotalBadge({ id }: { id: string }) {
  const { data } = useKeyCounts(id);
  if (!data) return null;
  return (
    <Badge size="sm" variant="light" radius="sm" data-testid="key-tab-total">
      {formatCount(data.total)}
    </Badge>
  );
}

interface ConfirmRequest {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  color?: string;
  run: () => Promise<unknown>;
}

/** One confirm dialog for the page: shows the server's refusal in words and stays open until it succeeds or is cancelled. */
function useConfirm() {
  const [req, setReq] = useState<ConfirmRequest | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setReq(null);
    setError(null);
  };
  const modal = (
    <Modal opened={!!req} onClose={close} title={req?.title}>
      <Stack>
        <Text size="sm">{req?.message}</Text>
        {error && (
          <Alert color="red" variant="light" role="alert" title="Refused">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={close}>
            Cancel
          </Button>
          <Button
            color={req?.color}
            loading={busy}
            onClick={async () => {
              if (!req) return;
              setBusy(true);
              setError(null);
              try {
                await req.run();
                close();
              } catch (e) {
                setError(errorMessage(e));
              } finally {
                setBusy(false);
              }
            }}
          >
            {req?.confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
  return { ask: (r: ConfirmRequest) => setReq(r), modal };
}

const KIND_LABEL = (e: Entitlement) => `${e.state === "TEST" ? "Test " : ""}${e.kind === "BULK" ? "bulk" : "simple"}`;

function HeaderEditForm({ entitlement, onDone }: { entitlement: Entitlement; onDone: () => void }) {
  const qc = useQueryClient();
  const original = headerFromEntitlement(entitlement);
  const form = useForm<HeaderValues>({
    initialValues: original,
    validate: headerValidation,
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = form.onSubmit(async (values) => {
    setGeneral(null);
    const patch = changedFields(headerBody(original) as Record<string, unknown>, headerBody(values));
    if (Object.keys(patch).length === 0) {
      onDone();
      return;
    }
    // Sold To and the partner rows are one decision on the server: send them together.
    if (patch.soldTo !== undefined || patch.channelPartners !== undefined) {
      const b = headerBody(values);
      patch.soldTo = b.soldTo;
      patch.channelPartners = b.channelPartners;
    }
    setBusy(true);
    try {
      const updated = await entitlementsApi.update(entitlement.id, patch);
      qc.setQueryData([...keys.entitlements, "detail", entitlement.id], updated);
      qc.invalidateQueries({ queryKey: keys.entitlements });
      notifications.show({ color: "green", message: "Entitlement saved." });
      onDone();
    } catch (e) {
      setGeneral(applyHeaderErrors(form, e).general);
    } finally {
      setBusy(false);
    }
  });
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <HeaderFields form={form} kind={entitlement.kind} mode="edit" />
        <FormAlert error={general} onClose={() => setGeneral(null)} />
        <Group>
          <Button type="submit" loading={busy}>
            Save
          </Button>
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function HeaderView({ e }: { e: Entitlement }) {
  return (
    <Stack>
      <Section title="Entitlement">
        <InfoGrid
          items={[
            {
              label: "Entitlement ID",
              value: (
                <Text ff="monospace" size="sm">
                  {e.entitlementId}
                </Text>
              ),
            },
            { label: "Kind", value: humanize(KIND_LABEL(e)) },
            { label: "State", value: <StateBadge state={e.state} /> },
            { label: "Description", value: e.description },
            { label: "Ship to email", value: e.shipToEmail?.split(",").join(", ") },
            {
              label: "Ship to address",
              value: e.shipToAddress && (
                <Text size="sm" style={{ whiteSpace: "pre-line" }}>
                  {e.shipToAddress}
                </Text>
              ),
            },
            { label: "Order ID", value: e.orderId },
            { label: "Order line number", value: e.orderLineNumber },
            { label: "Sold to", value: e.soldTo && <AccountLink id={e.soldTo} /> },
            { label: "Allow portal login", value: e.allowPortalLogin ? "Yes" : "No" },
            { label: "Created", value: `${formatDateTime(e.createdAt)}${e.createdBy ? ` by ${e.createdBy}` : ""}` },
            { label: "Updated", value: formatDateTime(e.updatedAt) },
            ...(e.parentBulkId
              ? [
                  {
                    label: "From bulk entitlement",
                    value: <EntitlementRef id={e.parentBulkId} />,
                  },
                ]
              : []),
            {
              label: "Custom attributes",
              value: Object.keys(e.customAttributes).length
                ? Object.entries(e.customAttributes)
                    .map(([k, v]) => `${k} = ${v}`)
                    .join(", ")
                : null,
            },
          ]}
        />
      </Section>
      <Section title={`Channel partners (${e.channelPartners.length})`}>
        {e.channelPartners.length === 0 ? (
          <Text size="sm" c="dimmed">
            No channel partners.
          </Text>
        ) : (
          <Table verticalSpacing={6} fz="sm" data-testid="channel-partners">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Partner tier</Table.Th>
                <Table.Th>Account</Table.Th>
                <Table.Th>Contact</Table.Th>
                <Table.Th>Current owner</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {e.channelPartners.map((p) => (
                <Table.Tr key={p.tier}>
                  <Table.Td>{p.tierName}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/accounts/${encodeURIComponent(p.accountId)}`} size="sm">
                      {p.accountName} ({p.accountId})
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{p.contactEmail ?? "—"}</Table.Td>
                  <Table.Td>
                    {p.currentOwner ? (
                      <Badge color="indigo" variant="light" radius="sm">
                        Current owner
                      </Badge>
                    ) : (
                      ""
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Section>
    </Stack>
  );
}

function HistoryTab({ id }: { id: string }) {
  const { data, error, isLoading } = useQuery({
    queryKey: [...keys.entitlements, "history", id],
    queryFn: () => entitlementsApi.history(id),
  });
  if (isLoading) return <Loader size="sm" />;
  if (error) return <LoadError error={error} what="the history" />;
  const items = data?.items ?? [];
  return (
    <Section title="History">
      {items.length === 0 ? (
        <Text size="sm" c="dimmed">
          No events.
        </Text>
      ) : (
        <Table verticalSpacing={6} fz="sm" striped data-testid="entitlement-history">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Event</Table.Th>
              <Table.Th>When</Table.Th>
              <Table.Th>Who</Table.Th>
              <Table.Th>Description</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((h) => (
              <Table.Tr key={h.id}>
                <Table.Td>{EVENT_LABELS[h.event] ?? humanize(h.event)}</Table.Td>
                <Table.Td>{formatDateTime(h.at)}</Table.Td>
                <Table.Td>{h.user ?? "—"}</Table.Td>
                <Table.Td>{h.description ?? "—"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Section>
  );
}

function productsOf(li: LineItem) {
  const ps = li.products.map((p) => `${p.quantity === 1 ? "" : `${p.quantity} × `}${p.name} ${p.version}`).join(", ");
  return li.partId ? `${li.partId} (${ps})` : ps;
}

/** The entitlement page: header, channel partners, the bulk product or the line items, state actions and history. */
export function EntitlementDetailPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const navigate = useNavigate();
  const qc = useQueryClient();
  // The tab is in the URL (?tab=keys), so the Keys and Jobs pages can link straight to an entitlement's keys.
  const [search, setSearch] = useSearchParams();
  const tab = search.get("tab") ?? "details";
  const setTab = (t: string | null) =>
    setSearch(
      (p) => {
        const n = new URLSearchParams(p);
        if (!t || t === "details") n.delete("tab");
        else n.set("tab", t);
        return n;
      },
      { replace: true },
    );
  const [editing, setEditing] = useState(false);
  const [wizard, setWizard] = useState<null | { lineItem: LineItem | null; product: boolean }>(null);
  const [activating, setActivating] = useState(false);
  const [activateItem, setActivateItem] = useState<LineItem | null>(null);
  const licenser = useIsLicenser();
  const { ask, modal } = useConfirm();
  const detailKey = [...keys.entitlements, "detail", id];
  const { data: e, error, isLoading } = useQuery({ queryKey: detailKey, queryFn: () => entitlementsApi.get(id) });
  // Renew, upgrade, upsell, transfers and lineage (LifecycleActions.tsx).
  const lifecycle = useLifecycleActions(e, {
    canWrite: perms.isProducerWriter,
    onUpdated: (next) => {
      qc.setQueryData(detailKey, next);
      qc.invalidateQueries({ queryKey: keys.entitlements });
    },
  });

  const crumbs = [{ label: "Entitlements", to: ENTITLEMENT_ROUTES.list }];
  if (isLoading) return <Loader />;
  if (error || !e)
    return (
      <>
        <PageHeader title="Entitlement" crumbs={crumbs} />
        <LoadError error={error} what="the entitlement" />
      </>
    );

  const updated = (next: Entitlement) => {
    qc.setQueryData(detailKey, next);
    qc.invalidateQueries({ queryKey: keys.entitlements });
  };
  const writer = perms.isProducerWriter;
  const editable = isEditableState(e.state);
  const moves = stateMoves(e.state);

  const changeState = (to: string, label: string, words: string) =>
    ask({
      title: `${label}: entitlement ${e.entitlementId}`,
      message:
        to === "DEPLOYED"
          ? `Deploy ${e.entitlementId}? ${e.kind === "BULK" ? "Its product configuration" : "Its draft line items"} will be deployed too and can be used from then on.`
          : to === "OBSOLETE"
            ? `Make ${e.entitlementId} obsolete? Nothing new can be done with it. This cannot be undone.`
            : `Make ${e.entitlementId} inactive? No activation, upgrade, renewal, return, repair or rehost until it is deployed again.`,
      confirmLabel: label,
      color: to === "OBSOLETE" ? "orange" : to === "DEPLOYED" ? "green" : undefined,
      run: async () => {
        updated(await entitlementsApi.changeState(e.id, to));
        qc.invalidateQueries({ queryKey: [...keys.entitlements, "history", e.id] });
        notifications.show({ color: "green", message: `Entitlement ${e.entitlementId} ${words}.` });
      },
    });

  const lineItemMenu = (li: LineItem) => {
    const liMoves = stateMoves(li.state);
    const liEditable = isEditableState(li.state);
    const removable = isLineItemDeletable(li.state);
    return (
      <Group gap={4} wrap="nowrap" justify="flex-end">
        {liEditable && (
          <Tooltip label="Edit line item">
            <ActionIcon
              variant="subtle"
              aria-label={`Edit line item ${li.activationId}`}
              onClick={() => setWizard({ lineItem: li, product: false })}
            >
              <IconEdit size={16} />
            </ActionIcon>
          </Tooltip>
        )}
        {(liMoves.length > 0 || removable || lifecycle.offers(li)) && (
          <Menu position="bottom-end" withinPortal>
            <Menu.Target>
              <ActionIcon variant="subtle" color="gray" aria-label={`Actions for line item ${li.activationId}`}>
                <IconDots size={16} />
              </ActionIcon>
            </Menu.Target>
            <Menu.Dropdown>
              {lifecycle.menuItems(li, { divider: liMoves.length > 0 || removable })}
              {liMoves.length > 0 && <Menu.Label>Change state</Menu.Label>}
              {liMoves.map((m) => (
                <Menu.Item
                  key={m.to}
                  onClick={() =>
                    ask({
                      title: `${m.label}: line item ${li.activationId}`,
                      message: `Move line item ${li.activationId} from ${humanize(li.state)} to ${humanize(m.to)}?`,
                      confirmLabel: m.label,
                      color: m.to === "OBSOLETE" ? "orange" : m.to === "DEPLOYED" ? "green" : undefined,
                      run: async () => {
                        updated(await entitlementsApi.changeLineItemState(e.id, li.id, m.to));
                        notifications.show({ color: "green", message: `Line item ${li.activationId} ${m.words}.` });
                      },
                    })
                  }
                >
                  {m.label}
                </Menu.Item>
              ))}
              {removable && (
                <>
                  {liMoves.length > 0 && <Menu.Divider />}
                  <Menu.Item
                    color="red"
                    leftSection={<IconTrash size={14} />}
                    onClick={() =>
                      ask({
                        title: "Remove line item",
                        message: `Remove line item ${li.activationId}? Only line items without fulfillments can be removed.`,
                        confirmLabel: "Remove",
                        color: "red",
                        run: async () => {
                          updated(await entitlementsApi.removeLineItem(e.id, li.id));
                          notifications.show({ color: "green", message: `Line item ${li.activationId} removed.` });
                        },
                      })
                    }
                  >
                    Remove
                  </Menu.Item>
                </>
              )}
            </Menu.Dropdown>
          </Menu>
        )}
      </Group>
    );
  };

  const bulkProduct = e.product ? configFromJson(e.product, e.product.bulkEntitlementType) : null;

  return (
    <>
      <PageHeader
        title={
          <Text span inherit ff="monospace">
            {e.entitlementId}
          </Text>
        }
        badge={
          <Group gap={6}>
            <StateBadge state={e.state} />
            <Badge variant="outline" color="gray" radius="sm">
              {humanize(KIND_LABEL(e))}
            </Badge>
          </Group>
        }
        crumbs={crumbs}
        actions={
          writer && (
            <>
              {e.kind === "BULK" && isKeyRedeemable(e.state) && (
                <Button variant="default" leftSection={<IconKey size={16} />} onClick={() => setActivating(true)}>
                  Activate by key
                </Button>
              )}
              {moves.length > 0 && (
                <Menu position="bottom-end" withinPortal>
                  <Menu.Target>
                    <Button leftSection={<IconTransform size={16} />} rightSection={<IconChevronDown size={14} />}>
                      Change State
                    </Button>
                  </Menu.Target>
                  <Menu.Dropdown>
                    {moves.map((m) => (
                      <Menu.Item key={m.to} onClick={() => changeState(m.to, m.label, m.words)}>
                        {m.label}
                      </Menu.Item>
                    ))}
                  </Menu.Dropdown>
                </Menu>
              )}
              {editable && !editing && (
                <Button variant="default" leftSection={<IconEdit size={16} />} onClick={() => setEditing(true)}>
                  Edit
                </Button>
              )}
              {editable && (
                <Button
                  variant="default"
                  leftSection={<IconRefresh size={16} />}
                  onClick={() =>
                    ask({
                      title: "Regenerate IDs",
                      message: `Generate a new entitlement ID${e.kind === "SIMPLE" ? " and new activation IDs for the draft line items" : ""}? Use this after setting what the ID template uses (for example the order ID).`,
                      confirmLabel: "Regenerate IDs",
                      run: async () => {
                        const next = await entitlementsApi.regenerateIds(e.id);
                        updated(next);
                        notifications.show({ color: "green", message: `New entitlement ID: ${next.entitlementId}.` });
                      },
                    })
                  }
                >
                  Regenerate IDs
                </Button>
              )}
              {lifecycle.headerAction}
              <Button
                variant="default"
                leftSection={<IconCopy size={16} />}
                onClick={() =>
                  ask({
                    title: "Copy entitlement",
                    message: `Copy ${e.entitlementId} into a new draft entitlement with new IDs?`,
                    confirmLabel: "Copy",
                    run: async () => {
                      const copy = await entitlementsApi.copy(e.id);
                      qc.invalidateQueries({ queryKey: keys.entitlements });
                      notifications.show({ color: "green", message: `Copied to ${copy.entitlementId}.` });
                      setEditing(false);
                      navigate(entitlementPath(copy.id));
                    },
                  })
                }
              >
                Copy
              </Button>
              {editable && (
                <Button
                  variant="light"
                  color="red"
                  leftSection={<IconTrash size={16} />}
                  onClick={() =>
                    ask({
                      title: "Delete entitlement",
                      message: `Delete ${e.entitlementId}${
                        e.kind === "BULK"
                          ? " and its unredeemed web register keys (one with redeemed keys is kept)"
                          : e.state === "TEST"
                            ? " and its fulfillments"
                            : ""
                      }? This cannot be undone.`,
                      confirmLabel: "Delete",
                      color: "red",
                      run: async () => {
                        await entitlementsApi.remove(e.id);
                        qc.invalidateQueries({ queryKey: keys.entitlements });
                        notifications.show({ color: "green", message: `Entitlement ${e.entitlementId} deleted.` });
                        navigate(ENTITLEMENT_ROUTES.list);
                      },
                    })
                  }
                >
                  Delete
                </Button>
              )}
            </>
          )
        }
      />
      {e.kind === "SIMPLE" && e.parentBulkId && (
        <Text size="sm" mb="md" data-testid="redeemed-from">
          Redeemed from bulk entitlement <EntitlementRef id={e.parentBulkId} />
        </Text>
      )}
      {e.state === "TEST" && (
        <Alert color="grape" variant="light" mb="md" icon={<IconInfoCircle size={18} />}>
          A test entitlement never changes state; it may use draft products and license models.
        </Alert>
      )}
      {e.kind === "BULK" && <ChannelLinks id={e.id} />}
      <Tabs value={tab === "keys" && e.kind !== "BULK" ? "details" : tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="details" leftSection={<IconListDetails size={16} />}>
            Details
          </Tabs.Tab>
          {e.kind === "BULK" && (
            <Tabs.Tab value="keys" leftSection={<IconKey size={16} />} rightSection={<KeyTotalBadge id={e.id} />}>
              Web register keys
            </Tabs.Tab>
          )}
          <Tabs.Tab value="history" leftSection={<IconHistory size={16} />}>
            History
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="details">
          <Stack>
            {editing ? <HeaderEditForm entitlement={e} onDone={() => setEditing(false)} /> : <HeaderView e={e} />}
            {e.kind === "BULK" ? (
              <Section
                title="Product"
                actions={
                  writer &&
                  editable &&
                  (bulkProduct ? (
                    <Button
                      size="xs"
                      variant="light"
                      leftSection={<IconEdit size={14} />}
                      onClick={() => setWizard({ lineItem: null, product: true })}
                    >
                      Edit product
                    </Button>
                  ) : (
                    <Button
                      size="xs"
                      variant="light"
                      leftSection={<IconPackage size={14} />}
                      onClick={() => setWizard({ lineItem: null, product: true })}
                    >
                      Add Product
                    </Button>
                  ))
                }
              >
                <Stack gap="sm">
                  {bulkProduct ? (
                    <ConfigSummary config={bulkProduct} kind="BULK" effectiveExpiry={e.product?.effectiveExpirationDate} />
                  ) : (
                    <Text size="sm" c="dimmed">
                      No product yet: use Add Product to configure the one product this entitlement sells. It cannot be deployed
                      without one.
                    </Text>
                  )}
                  <KeySummaryLine id={e.id} onOpen={() => setTab("keys")} />
                </Stack>
              </Section>
            ) : (
              <Section
                title={`Line items (${e.lineItems.length})`}
                actions={
                  writer &&
                  canAddLineItems(e.state) && (
                    <Button
                      size="xs"
                      variant="light"
                      leftSection={<IconPlus size={14} />}
                      onClick={() => setWizard({ lineItem: null, product: false })}
                    >
                      Add line item
                    </Button>
                  )
                }
              >
                {e.lineItems.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    No line items.
                  </Text>
                ) : (
                  <Table.ScrollContainer minWidth={1050}>
                    <Table verticalSpacing={6} fz="sm" data-testid="line-items">
                      <Table.Thead>
                        <Table.Tr>
                          <Table.Th>Activation ID</Table.Th>
                          <Table.Th>Products</Table.Th>
                          <Table.Th>License model</Table.Th>
                          <Table.Th style={{ textAlign: "right" }}>Copies</Table.Th>
                          <Table.Th style={{ textAlign: "right" }}>Fulfilled</Table.Th>
                          <Table.Th style={{ textAlign: "right" }}>Available</Table.Th>
                          <Table.Th>Start</Table.Th>
                          <Table.Th>Expiry</Table.Th>
                          <Table.Th>Type</Table.Th>
                          <Table.Th>State</Table.Th>
                          {(writer || licenser) && <Table.Th w={170} />}
                        </Table.Tr>
                      </Table.Thead>
                      <Table.Tbody>
                        {e.lineItems.map((li) => {
                          const v = configFromJson(li, li.lineItemType);
                          return (
                            <Table.Tr key={li.id} {...lifecycle.rowProps(li)}>
                              <Table.Td ff="monospace">
                                {li.activationId}
                                {lifecycle.parentHint(li)}
                              </Table.Td>
                              <Table.Td>{productsOf(li)}</Table.Td>
                              <Table.Td>
                                {li.licenseModelName ?? "—"}
                                {li.alternateLicenseModelIds.length > 0 && (
                                  <Text size="xs" c="dimmed">
                                    +{li.alternateLicenseModelIds.length} alternate
                                  </Text>
                                )}
                              </Table.Td>
                              <Table.Td style={{ textAlign: "right" }}>{li.numberOfCopies}</Table.Td>
                              <Table.Td style={{ textAlign: "right" }}>
                                {li.fulfilledCount > 0 ? (
                                  <Anchor
                                    component={Link}
                                    to={licensesPath("producer", { lineItemId: li.id })}
                                    size="sm"
                                    title={`Licenses of ${li.activationId}`}
                                  >
                                    {li.fulfilledCount}
                                  </Anchor>
                                ) : (
                                  0
                                )}
                              </Table.Td>
                              <Table.Td style={{ textAlign: "right" }}>{li.availableCount}</Table.Td>
                              <Table.Td style={{ whiteSpace: "nowrap" }}>
                                {li.startDate ? formatDate(li.startDate) : lineItemStart(v)}
                              </Table.Td>
                              <Table.Td style={{ whiteSpace: "nowrap" }}>
                                {li.effectiveExpirationDate ? formatDate(li.effectiveExpirationDate) : lineItemExpiry(v)}
                              </Table.Td>
                              <Table.Td>{li.lineItemType ? humanize(li.lineItemType) : "—"}</Table.Td>
                              <Table.Td>
                                <Box miw={100}>
                                  <StateBadge state={li.state} />
                                </Box>
                              </Table.Td>
                              {(writer || licenser) && (
                                <Table.Td>
                                  <Group gap={4} wrap="nowrap" justify="flex-end">
                                    {licenser && canActivate(li) && (
                                      <Button
                                        size="compact-xs"
                                        variant="light"
                                        aria-label={`Activate ${li.activationId}`}
                                        onClick={() => setActivateItem(li)}
                                      >
                                        Activate
                                      </Button>
                                    )}
                                    {writer && lineItemMenu(li)}
                                  </Group>
                                </Table.Td>
                              )}
                            </Table.Tr>
                          );
                        })}
                      </Table.Tbody>
                    </Table>
                  </Table.ScrollContainer>
                )}
              </Section>
            )}
          </Stack>
        </Tabs.Panel>
        {e.kind === "BULK" && (
          <Tabs.Panel value="keys">
            <WebRegisterKeysPanel e={e} />
          </Tabs.Panel>
        )}
        <Tabs.Panel value="history">
          <HistoryTab id={e.id} />
        </Tabs.Panel>
      </Tabs>
      {modal}
      {lifecycle.dialogs}
      {activating && <ActivateByKeyModal opened onClose={() => setActivating(false)} />}
      {activateItem && (
        <ActivateDialog lineItem={activateItem} entitlement={e} portal="producer" onClose={() => setActivateItem(null)} />
      )}
      {wizard?.product && (
        <ProductWizard
          kind="BULK"
          test={e.state === "TEST"}
          title={bulkProduct ? "Edit product" : "Add Product"}
          initial={bulkProduct ?? emptyConfig()}
          finishLabel="Save product"
          showAutoDeploy={e.state === "DRAFT"}
          onClose={() => setWizard(null)}
          onDone={async (v: ConfigValues) => {
            const body = bulkProductBody(v);
            let next = bulkProduct
              ? await entitlementsApi.patchProduct(e.id, body)
              : await entitlementsApi.setProduct(e.id, body);
            updated(next);
            setWizard(null);
            notifications.show({ color: "green", message: bulkProduct ? "Product configuration saved." : "Product added." });
            if (v.autoDeploy && next.state === "DRAFT") {
              try {
                next = await entitlementsApi.changeState(e.id, "DEPLOYED");
                updated(next);
                notifications.show({ color: "green", message: `Entitlement ${next.entitlementId} deployed.` });
              } catch (err) {
                notifications.show({ color: "red", title: "Not deployed", message: errorMessage(err), autoClose: false });
              }
            }
          }}
        />
      )}
      {wizard && !wizard.product && (
        <ProductWizard
          kind="SIMPLE"
          test={e.state === "TEST"}
          mode={wizard.lineItem ? "edit" : "create"}
          title={wizard.lineItem ? `Edit line item ${wizard.lineItem.activationId}` : "Add line item"}
          initial={
            wizard.lineItem
              ? configFromJson(wizard.lineItem, wizard.lineItem.lineItemType, wizard.lineItem.activationId)
              : emptyConfig()
          }
          finishLabel={wizard.lineItem ? "Save line item" : "Add line item"}
          onClose={() => setWizard(null)}
          onDone={async (v: ConfigValues) => {
            const li = wizard.lineItem;
            const next = li
              ? await entitlementsApi.updateLineItem(e.id, li.id, lineItemBody(v, "edit"))
              : await entitlementsApi.addLineItems(e.id, [lineItemBody(v, "create")]);
            updated(next);
            setWizard(null);
            notifications.show({
              color: "green",
              message: li
                ? `Line item ${li.activationId} saved.`
                : `Line item added${e.state === "DEPLOYED" ? " as a draft: deploy it from its actions menu" : ""}.`,
            });
          }}
        />
      )}
    </>
  );
}

/** A bulk entitlement's way to its report and to the chain it is part of (web/src/reports/). */
function ChannelLinks({ id }: { id: string }) {
  return (
    <Group gap="xs" mb="sm">
      <Button
        component={Link}
        to={`/entitlements/${id}/chain`}
        size="xs"
        variant="light"
        leftSection={<IconHierarchy2 size={14} />}
      >
        Chain view
      </Button>
      <Button
        component={Link}
        to={`/reports?bulk=${encodeURIComponent(id)}`}
        size="xs"
        variant="light"
        leftSection={<IconChartBar size={14} />}
      >
        Report
      </Button>
    </Group>
  );
}
