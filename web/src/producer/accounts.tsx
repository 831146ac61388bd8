import {
  ActionIcon,
  Anchor,
  Badge,
  Button,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconEdit, IconPlus, IconTrash, IconUserPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import type { Account } from "../../../common/src/api/accounts";
import { errorMessage } from "../api/client";
import { type AccountInput, accountsApi, keys, usersApi } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { AccountLink } from "../components/AccountName";
import { AccountSelect } from "../components/AccountSelect";
import { DataTable, usePagedList } from "../components/DataTable";
import { useDetailPage } from "../components/DetailPage";
import { ConfirmButton } from "../components/Dialogs";
import { PageFormActions, useApiForm } from "../components/FormErrors";
import { HistoryButton, InfoGrid, PageHeader, Section, StateBadge } from "../components/Page";
import { LIMITS } from "../lib/enums";
import { formatDateTime, fullName, orNull } from "../lib/format";
import { ACCOUNT_TYPE_LABELS, accountTypeOptions, roleLabel } from "../lib/labels";
import { all, idChars, maxLength, required } from "../lib/validate";
import { MergeEntitlementsButton } from "./MergeEntitlements";

const accountPath = (id: string) => `/accounts/${encodeURIComponent(id)}`;

export function AccountsListPage() {
  const perms = usePermissions();
  const navigate = useNavigate();
  const [q, setQ] = useState("");
  const [type, setType] = useState<string | null>(null);
  const list = usePagedList(keys.accounts, accountsApi.list, { q, type });
  return (
    <>
      <PageHeader
        title="Accounts"
        description="Customers, channel partners and the publisher account of this instance."
        actions={
          perms.isProducerWriter && (
            <Button component={Link} to="/accounts/new" leftSection={<IconPlus size={16} />}>
              Create account
            </Button>
          )
        }
      />
      <DataTable
        what="accounts"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search by account ID or name" }}
        filters={
          <Select
            aria-label="Account type"
            placeholder="All types"
            clearable
            data={accountTypeOptions(true)}
            value={type}
            onChange={setType}
            w={200}
          />
        }
        rowKey={(a) => a.id}
        onRowClick={(a) => navigate(accountPath(a.id))}
        emptyText={q || type ? "No account matches these filters." : "No accounts yet."}
        columns={[
          {
            key: "id",
            header: "Account ID",
            render: (a) => (
              <Anchor component={Link} to={accountPath(a.id)} size="sm" fw={500} onClick={(e) => e.stopPropagation()}>
                {a.id}
              </Anchor>
            ),
          },
          { key: "name", header: "Name", render: (a) => a.name },
          { key: "type", header: "Type", render: (a) => ACCOUNT_TYPE_LABELS[a.type] },
          {
            key: "location",
            header: "Location",
            render: (a) => [a.address.city, a.address.country].filter(Boolean).join(", ") || "—",
          },
          { key: "updated", header: "Updated", render: (a) => formatDateTime(a.updatedAt) },
        ]}
      />
    </>
  );
}

interface AccountValues {
  id: string;
  name: string;
  type: string;
  description: string;
  visible: boolean;
  parentId: string | null;
  address: {
    address1: string;
    address2: string;
    city: string;
    state: string;
    zipcode: string;
    country: string;
    region: string;
  };
}

function valuesOf(a?: Account): AccountValues {
  return {
    id: a?.id ?? "",
    name: a?.name ?? "",
    type: a?.type ?? "CUSTOMER",
    description: a?.description ?? "",
    visible: a?.visible ?? true,
    parentId: a?.parentId ?? null,
    address: {
      address1: a?.address.address1 ?? "",
      address2: a?.address.address2 ?? "",
      city: a?.address.city ?? "",
      state: a?.address.state ?? "",
      zipcode: a?.address.zipcode ?? "",
      country: a?.address.country ?? "",
      region: a?.address.region ?? "",
    },
  };
}

function bodyOf(v: AccountValues, creating: boolean): AccountInput {
  const address = Object.fromEntries(Object.entries(v.address).map(([k, x]) => [k, orNull(x)]));
  const hasAddress = Object.values(address).some((x) => x !== null);
  const body: AccountInput = {
    name: v.name.trim(),
    description: orNull(v.description),
    visible: v.visible,
    parentId: v.parentId,
  };
  if (v.type !== "PUBLISHER") body.type = v.type as AccountInput["type"];
  if (!creating || hasAddress) body.address = address;
  if (creating) {
    body.id = v.id.trim();
    if (body.description === null) delete body.description;
    if (body.parentId === null) delete body.parentId;
  }
  return body;
}

function AccountForm({ account, onDone, onCancel }: { account?: Account; onDone: (a: Account) => void; onCancel: () => void }) {
  const creating = !account;
  const qc = useQueryClient();
  const form = useForm<AccountValues>({
    initialValues: valuesOf(account),
    validate: {
      id: creating ? all(required("Account ID"), idChars, maxLength(LIMITS.idMax)) : undefined,
      name: all(required("Name"), maxLength(LIMITS.nameMax), (v: string) => (v.includes(":") ? "Must not contain ':'" : null)),
      type: required("Type"),
      description: maxLength(LIMITS.descriptionMax),
      parentId: (v) => (v && account && v === account.id ? "An account cannot be its own parent" : null),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const parent = useQuery({
    queryKey: [...keys.accounts, "detail", account?.parentId ?? ""],
    queryFn: () => accountsApi.get(account?.parentId ?? ""),
    enabled: !!account?.parentId,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => (creating ? accountsApi.create(bodyOf(v, true)) : accountsApi.update(account.id, bodyOf(v, false))),
    {
      onSuccess: (a) => {
        qc.invalidateQueries({ queryKey: keys.accounts });
        notifications.show({ color: "green", message: creating ? `Account ${a.id} created.` : "Account saved." });
        onDone(a);
      },
    },
  );
  const isPublisher = account?.type === "PUBLISHER";
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <Section title="Account">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Account ID"
              description={creating ? "Chosen by you; cannot change later." : undefined}
              required={creating}
              disabled={!creating}
              {...form.getInputProps("id")}
            />
            <TextInput label="Name" required {...form.getInputProps("name")} />
            <Select
              label="Type"
              required
              allowDeselect={false}
              disabled={isPublisher}
              data={accountTypeOptions(isPublisher)}
              {...form.getInputProps("type")}
            />
            <AccountSelect
              label="Parent account"
              value={form.values.parentId}
              onChange={(a) => form.setFieldValue("parentId", a?.id ?? null)}
              known={parent.data ? [{ id: parent.data.id, name: parent.data.name, type: parent.data.type }] : []}
              exclude={account ? [account.id] : []}
              error={form.errors.parentId}
              placeholder="None"
            />
          </SimpleGrid>
          <Textarea label="Description" mt="sm" autosize minRows={2} maxRows={6} {...form.getInputProps("description")} />
          <Switch mt="md" label="Visible to partners in other tiers" {...form.getInputProps("visible", { type: "checkbox" })} />
        </Section>
        <Section title="Address">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Address line 1" {...form.getInputProps("address.address1")} />
            <TextInput label="Address line 2" {...form.getInputProps("address.address2")} />
            <TextInput label="City" {...form.getInputProps("address.city")} />
            <TextInput label="State / province" {...form.getInputProps("address.state")} />
            <TextInput label="ZIP / postal code" {...form.getInputProps("address.zipcode")} />
            <TextInput label="Country" {...form.getInputProps("address.country")} />
            <TextInput label="Region" {...form.getInputProps("address.region")} />
          </SimpleGrid>
        </Section>
        <PageFormActions error={error} onCloseError={() => setError(null)} pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

export function AccountCreatePage() {
  const navigate = useNavigate();
  return (
    <>
      <PageHeader title="Create account" crumbs={[{ label: "Account list", to: "/accounts" }]} />
      <AccountForm onDone={(a) => navigate(accountPath(a.id))} onCancel={() => navigate("/accounts")} />
    </>
  );
}

export function AccountDetailPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const page = useDetailPage({
    queryKey: [...keys.accounts, "detail", id],
    load: () => accountsApi.get(id),
    list: { label: "Account list", to: "/accounts" },
    title: id,
    what: "the account",
    editTitle: (a) => `Edit ${a.name}`,
    crumb: (a) => ({ label: a.id, to: accountPath(a.id) }),
    form: (a, done) => <AccountForm account={a} onDone={done} onCancel={done} />,
  });
  if (page.element) return page.element;
  const { object: account, crumbs } = page;
  const a = account.address;
  return (
    <>
      <PageHeader
        title={account.name}
        badge={
          <Badge variant="light" radius="sm">
            {ACCOUNT_TYPE_LABELS[account.type]}
          </Badge>
        }
        crumbs={crumbs}
        actions={
          <>
            <HistoryButton objectType="account" objectId={account.id} />
            {perms.isProducerWriter && (
              <>
                <Button variant="default" leftSection={<IconEdit size={16} />} onClick={page.edit}>
                  Edit
                </Button>
                {account.type !== "PUBLISHER" && <MergeEntitlementsButton account={account} />}
                {account.type !== "PUBLISHER" && (
                  <ConfirmButton
                    title="Delete account"
                    message={`Delete account ${account.name} (${account.id})? Only accounts that nothing refers to can be deleted.`}
                    confirmLabel="Delete account"
                    leftSection={<IconTrash size={16} />}
                    onConfirm={async () => {
                      await accountsApi.remove(account.id);
                      qc.invalidateQueries({ queryKey: keys.accounts });
                      notifications.show({ color: "green", message: `Account ${account.id} deleted.` });
                      navigate("/accounts");
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
              { label: "Account ID", value: account.id },
              { label: "Type", value: ACCOUNT_TYPE_LABELS[account.type] },
              { label: "Visible", value: account.visible ? "Yes" : "No" },
              { label: "Parent account", value: account.parentId ? <AccountLink id={account.parentId} /> : null },
              { label: "Created", value: formatDateTime(account.createdAt) },
              { label: "Updated", value: formatDateTime(account.updatedAt) },
              { label: "Description", value: account.description },
            ]}
          />
        </Section>
        <Section title="Address">
          <InfoGrid
            items={[
              { label: "Address", value: [a.address1, a.address2].filter(Boolean).join(", ") },
              { label: "City", value: a.city },
              { label: "State / province", value: a.state },
              { label: "ZIP / postal code", value: a.zipcode },
              { label: "Country", value: a.country },
              { label: "Region", value: a.region },
            ]}
          />
        </Section>
        <RelatedAccounts account={account} canEdit={perms.isProducerWriter} />
        <AccountUsers account={account} canAdd={perms.isProducerAdmin} />
      </Stack>
    </>
  );
}

function RelatedAccounts({ account, canEdit }: { account: Account; canEdit: boolean }) {
  const qc = useQueryClient();
  const [pick, setPick] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const refresh = () => qc.invalidateQueries({ queryKey: keys.accounts });
  const add = useMutation({
    mutationFn: (other: string) => accountsApi.relate(account.id, other),
    onSuccess: () => {
      setPick(null);
      setProblem(null);
      refresh();
      notifications.show({ color: "green", message: "Related account added." });
    },
    onError: (e) => setProblem(errorMessage(e)),
  });
  const remove = useMutation({
    mutationFn: (other: string) => accountsApi.unrelate(account.id, other),
    onSuccess: () => {
      refresh();
      notifications.show({ color: "green", message: "Related account removed." });
    },
    onError: (e) => notifications.show({ color: "red", title: "Could not remove", message: errorMessage(e) }),
  });
  return (
    <Section title="Related accounts">
      {account.relatedAccountIds.length === 0 ? (
        <Text size="sm" c="dimmed">
          No related accounts. Relate channel partners to each other or to their customers.
        </Text>
      ) : (
        <Table verticalSpacing={6} fz="sm">
          <Table.Tbody>
            {account.relatedAccountIds.map((rid) => (
              <Table.Tr key={rid}>
                <Table.Td>
                  <AccountLink id={rid} />
                </Table.Td>
                {canEdit && (
                  <Table.Td w={50}>
                    <Tooltip label="Remove relation">
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        aria-label={`Remove related account ${rid}`}
                        loading={remove.isPending && remove.variables === rid}
                        onClick={() => remove.mutate(rid)}
                      >
                        <IconTrash size={16} />
                      </ActionIcon>
                    </Tooltip>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canEdit && (
        <Group mt="md" align="flex-start" gap="xs">
          <AccountSelect
            label={null}
            ariaLabel="Related account"
            placeholder="Find an account to relate"
            w={340}
            value={pick}
            onChange={(a) => {
              setPick(a?.id ?? null);
              setProblem(null);
            }}
            exclude={[account.id, ...account.relatedAccountIds]}
            error={problem}
          />
          <Button
            variant="light"
            leftSection={<IconPlus size={16} />}
            disabled={!pick}
            loading={add.isPending}
            onClick={() => pick && add.mutate(pick)}
          >
            Add related account
          </Button>
        </Group>
      )}
    </Section>
  );
}

function AccountUsers({ account, canAdd }: { account: Account; canAdd: boolean }) {
  const navigate = useNavigate();
  const list = usePagedList(keys.users, usersApi.list, { accountId: account.id }, { pageSize: 10 });
  return (
    <Section
      title="Users"
      actions={
        canAdd && (
          <Button
            size="xs"
            variant="light"
            leftSection={<IconUserPlus size={14} />}
            component={Link}
            to={`/users/new?accountId=${encodeURIComponent(account.id)}`}
          >
            Add user
          </Button>
        )
      }
    >
      <DataTable
        what="users"
        list={list}
        rowKey={(u) => u.id}
        onRowClick={(u) => navigate(`/users/${encodeURIComponent(u.id)}`)}
        emptyText="No users belong to this account."
        columns={[
          {
            key: "name",
            header: "Name",
            render: (u) => (
              <Anchor component={Link} to={`/users/${encodeURIComponent(u.id)}`} size="sm" onClick={(e) => e.stopPropagation()}>
                {fullName(u)}
              </Anchor>
            ),
          },
          { key: "email", header: "Email", render: (u) => u.email },
          {
            key: "role",
            header: "Role",
            render: (u) =>
              u.memberships
                .filter((m) => m.accountId === account.id)
                .map((m) => roleLabel(m.role))
                .join(", "),
          },
          { key: "status", header: "Status", render: (u) => <StateBadge state={u.status} /> },
        ]}
      />
    </Section>
  );
}
