import {
  Alert,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  Modal,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
} from "@mantine/core";
import { formRootRule, useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconEdit, IconKey, IconPlayerPause, IconPlayerPlay, IconPlus } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router-dom";
import type { User } from "../../../common/src/api/users";
import { errorMessage } from "../api/client";
import { accountsApi, keys, type UserInput, usersApi } from "../api/endpoints";
import { usePermissions, useSession } from "../auth/session";
import { AccountSelect } from "../components/AccountSelect";
import { DataTable, usePagedList } from "../components/DataTable";
import { useDetailPage } from "../components/DetailPage";
import { ConfirmButton, SecretModal } from "../components/Dialogs";
import { PageFormActions, useApiForm } from "../components/FormErrors";
import { HistoryButton, InfoGrid, PageHeader, Section, StateBadge } from "../components/Page";
import { LocaleInput, type MembershipRow, MembershipsEditor, membershipRow, TimeZoneInput } from "../components/UserFields";
import { changedFields } from "../lib/diff";
import { LIMITS, ROLE_LABELS, ROLES, type Role, USER_STATUSES } from "../lib/enums";
import { formatDateTime, fullName, orNull } from "../lib/format";
import { ACCOUNT_TYPE_LABELS, enumOptions, roleLabel } from "../lib/labels";
import { all, email, maxLength, password, required } from "../lib/validate";

export const userPath = (id: string) => `/users/${encodeURIComponent(id)}`;

export function UsersListPage() {
  const perms = usePermissions();
  const navigate = useNavigate();
  const [q, setQ] = useState("");
  const [role, setRole] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [accountId, setAccountId] = useState<string | null>(null);
  const list = usePagedList(keys.users, usersApi.list, { q, role, status, accountId });
  return (
    <>
      <PageHeader
        title="Users"
        description="Producer staff, partner and customer contacts, and the accounts they belong to."
        actions={
          perms.isProducerAdmin && (
            <Button component={Link} to="/users/new" leftSection={<IconPlus size={16} />}>
              Create user
            </Button>
          )
        }
      />
      <DataTable
        what="users"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search by email or name" }}
        filters={
          <>
            <AccountSelect
              label={null}
              ariaLabel="Account"
              placeholder="All accounts"
              w={240}
              value={accountId}
              onChange={(a) => setAccountId(a?.id ?? null)}
            />
            <Select
              aria-label="Role"
              placeholder="All roles"
              clearable
              data={ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] }))}
              value={role}
              onChange={setRole}
              w={210}
            />
            <Select
              aria-label="Status"
              placeholder="Any status"
              clearable
              data={enumOptions(USER_STATUSES)}
              value={status}
              onChange={setStatus}
              w={150}
            />
          </>
        }
        rowKey={(u) => u.id}
        onRowClick={(u) => navigate(userPath(u.id))}
        emptyText={q || role || status || accountId ? "No user matches these filters." : "No users yet."}
        columns={[
          {
            key: "name",
            header: "Name",
            render: (u) => (
              <Anchor component={Link} to={userPath(u.id)} size="sm" fw={500} onClick={(e) => e.stopPropagation()}>
                {fullName(u)}
              </Anchor>
            ),
          },
          { key: "email", header: "Email", render: (u) => u.email },
          {
            key: "accounts",
            header: "Accounts and roles",
            render: (u) => (
              <Group gap={4}>
                {u.memberships.map((m) => (
                  <Badge
                    key={`${m.accountId}/${m.role}`}
                    variant="light"
                    color="gray"
                    radius="sm"
                    tt="none"
                    fw={500}
                    // Long account names wrap inside the badge instead of being cut off.
                    h="auto"
                    py={2}
                    styles={{ label: { whiteSpace: "normal", overflow: "visible" } }}
                  >
                    {m.accountName} · {roleLabel(m.role)}
                  </Badge>
                ))}
              </Group>
            ),
          },
          { key: "status", header: "Status", render: (u) => <StateBadge state={u.status} /> },
          { key: "login", header: "Last login", render: (u) => formatDateTime(u.lastLoginAt) },
        ]}
      />
    </>
  );
}

interface UserValues {
  email: string;
  firstName: string;
  lastName: string;
  phone: string;
  locale: string;
  timeZone: string;
  password: string;
  memberships: MembershipRow[];
}

function valuesOf(u?: User, initialMemberships: MembershipRow[] = []): UserValues {
  return {
    email: u?.email ?? "",
    firstName: u?.firstName ?? "",
    lastName: u?.lastName ?? "",
    phone: u?.phone ?? "",
    locale: u?.locale ?? "",
    timeZone: u?.timeZone ?? "",
    password: "",
    memberships: u ? u.memberships.map((m) => membershipRow(m)) : initialMemberships,
  };
}

export function bodyOfUser(v: UserValues): UserInput {
  return {
    email: v.email.trim(),
    firstName: v.firstName.trim(),
    lastName: v.lastName.trim(),
    phone: orNull(v.phone),
    locale: orNull(v.locale),
    timeZone: orNull(v.timeZone),
    memberships: v.memberships.map((m) => ({ accountId: m.accountId ?? "", role: m.role as Role })),
  };
}

export const userRules = (creating: boolean) => ({
  email: all(required("Email"), email, maxLength(LIMITS.emailMax)),
  firstName: all(required("First name"), maxLength(LIMITS.nameMax)),
  lastName: all(required("Last name"), maxLength(LIMITS.nameMax)),
  password: creating ? password : undefined,
  memberships: {
    [formRootRule]: (rows: MembershipRow[]) => (rows.length === 0 ? "A user must belong to at least one account" : null),
    accountId: required("Account"),
    role: required("Role"),
  },
});

function UserForm({
  user,
  initialMemberships,
  onDone,
  onCancel,
}: {
  user?: User;
  initialMemberships?: MembershipRow[];
  onDone: (u: User & { initialPassword?: string }) => void;
  onCancel: () => void;
}) {
  const creating = !user;
  const qc = useQueryClient();
  const form = useForm<UserValues>({
    initialValues: valuesOf(user, initialMemberships ?? [membershipRow()]),
    validate: userRules(creating),
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => {
      const body = bodyOfUser(v);
      if (creating) return usersApi.create(v.password ? { ...body, password: v.password } : body);
      const original = bodyOfUser(valuesOf(user));
      return usersApi.update(user.id, changedFields(original as Record<string, unknown>, body));
    },
    {
      onSuccess: (u) => {
        qc.invalidateQueries({ queryKey: keys.users });
        qc.invalidateQueries({ queryKey: keys.session });
        notifications.show({ color: "green", message: creating ? `User ${u.email} created.` : "User saved." });
        onDone(u);
      },
    },
  );
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <Section title="Contact">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Email" type="email" required {...form.getInputProps("email")} />
            <TextInput label="Phone" type="tel" {...form.getInputProps("phone")} />
            <TextInput label="First name" required {...form.getInputProps("firstName")} />
            <TextInput label="Last name" required {...form.getInputProps("lastName")} />
            <LocaleInput {...form.getInputProps("locale")} />
            <TimeZoneInput {...form.getInputProps("timeZone")} />
          </SimpleGrid>
          {creating && (
            <PasswordInput
              mt="sm"
              maw={420}
              label="Password"
              autoComplete="new-password"
              description={`At least ${LIMITS.passwordMin} characters. Leave empty to generate one; it is shown once after saving.`}
              {...form.getInputProps("password")}
            />
          )}
        </Section>
        <Section title="Accounts and roles">
          <MembershipsEditor form={form} />
        </Section>
        <PageFormActions error={error} onCloseError={() => setError(null)} pending={pending} onCancel={onCancel} />
      </Stack>
    </form>
  );
}

export function UserCreatePage() {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const accountId = params.get("accountId");
  const [created, setCreated] = useState<(User & { initialPassword?: string }) | null>(null);
  const account = useQuery({
    queryKey: [...keys.accounts, "detail", accountId ?? ""],
    queryFn: () => accountsApi.get(accountId ?? ""),
    enabled: !!accountId,
  });
  if (accountId && account.isLoading) return <Loader />;
  const initial = account.data
    ? [membershipRow({ accountId: account.data.id, accountName: account.data.name, accountType: account.data.type })]
    : undefined;
  return (
    <>
      <PageHeader title="Create user" crumbs={[{ label: "User list", to: "/users" }]} />
      <UserForm
        initialMemberships={initial}
        onDone={(u) => (u.initialPassword ? setCreated(u) : navigate(userPath(u.id)))}
        onCancel={() => navigate(-1)}
      />
      <SecretModal
        opened={!!created}
        title="Initial password"
        secret={created?.initialPassword ?? null}
        description={`Give this password to ${created?.email ?? "the user"} over a safe channel; they should change it after logging in.`}
        onClose={() => created && navigate(userPath(created.id))}
      />
    </>
  );
}

export function UserDetailPage() {
  const { id = "" } = useParams();
  const perms = usePermissions();
  const session = useSession();
  const qc = useQueryClient();
  const [newPassword, setNewPassword] = useState<string | null>(null);
  const page = useDetailPage({
    queryKey: [...keys.users, "detail", id],
    load: () => usersApi.get(id),
    list: { label: "User list", to: "/users" },
    title: "User",
    what: "the user",
    editTitle: (u) => `Edit ${fullName(u)}`,
    crumb: (u) => ({ label: u.email, to: userPath(u.id) }),
    form: (u, done) => <UserForm user={u} onDone={done} onCancel={done} />,
  });
  if (page.element) return page.element;
  const { object: user, crumbs } = page;
  const self = session.user.id === user.id;
  const refresh = () => qc.invalidateQueries({ queryKey: keys.users });
  return (
    <>
      <PageHeader
        title={fullName(user)}
        badge={<StateBadge state={user.status} />}
        crumbs={crumbs}
        actions={
          <>
            <HistoryButton objectType="user" objectId={user.id} />
            {perms.isProducerAdmin && (
              <>
                <Button variant="default" leftSection={<IconEdit size={16} />} onClick={page.edit}>
                  Edit
                </Button>
                <ResetPasswordButton
                  email={user.email}
                  onReset={async (revokeTokens) => {
                    const r = await usersApi.resetPassword(user.id, revokeTokens);
                    setNewPassword(r.password);
                    refresh();
                  }}
                />
                {!self &&
                  (user.status === "ACTIVE" ? (
                    <ConfirmButton
                      title="Deactivate user"
                      message={`Deactivate ${user.email}? They can no longer log in and their API tokens stop working.`}
                      confirmLabel="Deactivate"
                      leftSection={<IconPlayerPause size={16} />}
                      onConfirm={async () => {
                        await usersApi.deactivate(user.id);
                        refresh();
                        notifications.show({ color: "green", message: `${user.email} deactivated.` });
                      }}
                    >
                      Deactivate
                    </ConfirmButton>
                  ) : (
                    <ConfirmButton
                      title="Activate user"
                      message={`Activate ${user.email} again? They can log in with their password.`}
                      confirmLabel="Activate"
                      color="green"
                      leftSection={<IconPlayerPlay size={16} />}
                      onConfirm={async () => {
                        await usersApi.activate(user.id);
                        refresh();
                        notifications.show({ color: "green", message: `${user.email} activated.` });
                      }}
                    >
                      Activate
                    </ConfirmButton>
                  ))}
              </>
            )}
          </>
        }
      />
      <Stack>
        <Section title="Contact">
          <InfoGrid
            items={[
              { label: "Email", value: user.email },
              { label: "Phone", value: user.phone },
              { label: "Status", value: <StateBadge state={user.status} /> },
              { label: "Locale", value: user.locale },
              { label: "Time zone", value: user.timeZone },
              { label: "Last login", value: formatDateTime(user.lastLoginAt) },
              { label: "Created", value: formatDateTime(user.createdAt) },
              { label: "Updated", value: formatDateTime(user.updatedAt) },
            ]}
          />
        </Section>
        <Section title="Accounts and roles">
          {user.memberships.length === 0 ? (
            <Text size="sm" c="dimmed">
              This user belongs to no account.
            </Text>
          ) : (
            <Table verticalSpacing={6} fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Account</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Role</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {user.memberships.map((m) => (
                  <Table.Tr key={`${m.accountId}/${m.role}`}>
                    <Table.Td>
                      <Anchor component={Link} to={`/accounts/${encodeURIComponent(m.accountId)}`} size="sm">
                        {m.accountName} ({m.accountId})
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{ACCOUNT_TYPE_LABELS[m.accountType] ?? m.accountType}</Table.Td>
                    <Table.Td>{roleLabel(m.role)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Section>
      </Stack>
      <SecretModal
        opened={!!newPassword}
        title="New password"
        secret={newPassword}
        description={`Give this password to ${user.email} over a safe channel.`}
        onClose={() => setNewPassword(null)}
      />
    </>
  );
}

/**
 * Resets a user's password to a generated one. Their sessions always end; revoking their API
 * tokens as well is offered (for a password that may have been known to someone else).
 */
function ResetPasswordButton({ email, onReset }: { email: string; onReset: (revokeTokens: boolean) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [revokeTokens, setRevokeTokens] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setOpen(false);
    setError(null);
    setRevokeTokens(false);
  };
  return (
    <>
      <Button color="orange" variant="light" leftSection={<IconKey size={16} />} onClick={() => setOpen(true)}>
        Reset password
      </Button>
      <Modal opened={open} onClose={close} title="Reset password">
        <Stack>
          <Text size="sm">Generate a new password for {email}? The old password stops working and their sessions end.</Text>
          <Checkbox
            label="Also revoke their API tokens"
            description="Tokens made with the old password stop working."
            checked={revokeTokens}
            onChange={(e) => setRevokeTokens(e.currentTarget.checked)}
          />
          {error && (
            <Alert color="red" variant="light" role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              color="orange"
              loading={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await onReset(revokeTokens);
                  close();
                } catch (e) {
                  setError(errorMessage(e));
                } finally {
                  setBusy(false);
                }
              }}
            >
              Reset password
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
