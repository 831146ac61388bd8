import { Button, Group, Modal, PasswordInput, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { IconUserPlus } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { Membership, User } from "../../../common/src/api/users";
import { keys, usersApi } from "../api/endpoints";
import { usePermissions, useSession } from "../auth/session";
import { DataTable, usePagedList } from "../components/DataTable";
import { ConfirmButton, SecretModal } from "../components/Dialogs";
import { FormAlert, useApiForm } from "../components/FormErrors";
import { PageHeader, StateBadge } from "../components/Page";
import { CUSTOMER_ROLES, LIMITS, PARTNER_ROLES, type Role } from "../lib/enums";
import { formatDateTime, fullName, orNull } from "../lib/format";
import { roleLabel, roleOptionsFor } from "../lib/labels";
import { all, email, maxLength, password, required } from "../lib/validate";

const PORTAL_ROLES: readonly Role[] = [...PARTNER_ROLES, ...CUSTOMER_ROLES];

export function AddUserForm({
  account,
  onCreated,
  onCancel,
}: {
  account: Membership;
  onCreated: (u: User & { initialPassword?: string }) => void;
  onCancel: () => void;
}) {
  const qc = useQueryClient();
  const roles = roleOptionsFor(account.accountType, PORTAL_ROLES);
  const form = useForm({
    initialValues: {
      email: "",
      firstName: "",
      lastName: "",
      phone: "",
      password: "",
      role: (roles.find((r) => r.value.endsWith("_USER"))?.value ?? null) as string | null,
    },
    validate: {
      email: all(required("Email"), email, maxLength(LIMITS.emailMax)),
      firstName: all(required("First name"), maxLength(LIMITS.nameMax)),
      lastName: all(required("Last name"), maxLength(LIMITS.nameMax)),
      password,
      role: required("Role"),
    },
    validateInputOnChange: true,
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) =>
      usersApi.create({
        email: v.email.trim(),
        firstName: v.firstName.trim(),
        lastName: v.lastName.trim(),
        phone: orNull(v.phone),
        ...(v.password ? { password: v.password } : {}),
        memberships: [{ accountId: account.accountId, role: v.role as Role }],
      }),
    {
      fieldMap: { "memberships[0].role": "role" },
      onSuccess: (u) => {
        qc.invalidateQueries({ queryKey: keys.users });
        notifications.show({ color: "green", message: `User ${u.email} added.` });
        onCreated(u);
      },
    },
  );
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack>
        <Text size="sm" c="dimmed">
          The new user joins {account.accountName}.
        </Text>
        <TextInput label="Email" type="email" required {...form.getInputProps("email")} />
        <SimpleGrid cols={2}>
          <TextInput label="First name" required {...form.getInputProps("firstName")} />
          <TextInput label="Last name" required {...form.getInputProps("lastName")} />
        </SimpleGrid>
        <TextInput label="Phone" type="tel" {...form.getInputProps("phone")} />
        <Select label="Role" required allowDeselect={false} data={roles} {...form.getInputProps("role")} />
        <PasswordInput
          label="Password"
          autoComplete="new-password"
          description={`At least ${LIMITS.passwordMin} characters. Leave empty to generate one.`}
          {...form.getInputProps("password")}
        />
        <FormAlert error={error} onClose={() => setError(null)} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={pending}>
            Add user
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function PortalUsersPage() {
  const s = useSession();
  const perms = usePermissions();
  const qc = useQueryClient();
  const adminOf = s.user.memberships.filter((m) => perms.portalAdminAccountIds.includes(m.accountId));
  const [accountId, setAccountId] = useState<string | null>(adminOf[0]?.accountId ?? null);
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ email: string; password: string } | null>(null);
  const account = adminOf.find((m) => m.accountId === accountId) ?? null;
  const [q, setQ] = useState("");
  const list = usePagedList(keys.users, usersApi.list, { accountId, q }, { enabled: !!accountId });
  const refresh = () => qc.invalidateQueries({ queryKey: keys.users });
  if (adminOf.length === 0)
    return (
      <>
        <PageHeader title="Users" />
        <Text c="dimmed">Only portal administrators manage the users of an account.</Text>
      </>
    );
  return (
    <>
      <PageHeader
        title="Users"
        description={account ? `People who can log in for ${account.accountName}.` : undefined}
        actions={
          <Button leftSection={<IconUserPlus size={16} />} onClick={() => setAdding(true)} disabled={!account}>
            Add user
          </Button>
        }
      />
      <DataTable
        what="users"
        list={list}
        search={{ onSearch: setQ, placeholder: "Search by email or name" }}
        filters={
          adminOf.length > 1 && (
            <Select
              aria-label="Account"
              allowDeselect={false}
              data={[...new Map(adminOf.map((m) => [m.accountId, { value: m.accountId, label: m.accountName }])).values()]}
              value={accountId}
              onChange={setAccountId}
              w={240}
            />
          )
        }
        rowKey={(u) => u.id}
        emptyText="No users yet."
        columns={[
          {
            key: "name",
            header: "Name",
            render: (u) => (
              <Text size="sm" fw={500}>
                {fullName(u)}
              </Text>
            ),
          },
          { key: "email", header: "Email", render: (u) => u.email },
          {
            key: "role",
            header: "Role",
            render: (u) =>
              u.memberships
                .filter((m) => m.accountId === accountId)
                .map((m) => roleLabel(m.role))
                .join(", "),
          },
          { key: "status", header: "Status", render: (u) => <StateBadge state={u.status} /> },
          { key: "login", header: "Last login", render: (u) => formatDateTime(u.lastLoginAt) },
          {
            key: "actions",
            header: "",
            align: "right",
            render: (u) =>
              u.id !== s.user.id && (
                <Group gap={4} justify="flex-end" wrap="nowrap">
                  <ConfirmButton
                    size="compact-xs"
                    variant="subtle"
                    color="orange"
                    title="Reset password"
                    message={`Generate a new password for ${u.email}?`}
                    confirmLabel="Reset password"
                    onConfirm={async () => {
                      const r = await usersApi.resetPassword(u.id);
                      // Null only when a password was given; none is, so the server generated one.
                      if (r.password !== null) setSecret({ email: u.email, password: r.password });
                    }}
                  >
                    Reset password
                  </ConfirmButton>
                  {u.status === "ACTIVE" ? (
                    <ConfirmButton
                      size="compact-xs"
                      variant="subtle"
                      title="Deactivate user"
                      message={`Deactivate ${u.email}? They can no longer log in.`}
                      confirmLabel="Deactivate"
                      onConfirm={async () => {
                        await usersApi.deactivate(u.id);
                        refresh();
                      }}
                    >
                      Deactivate
                    </ConfirmButton>
                  ) : (
                    <ConfirmButton
                      size="compact-xs"
                      variant="subtle"
                      color="green"
                      title="Activate user"
                      message={`Activate ${u.email} again?`}
                      confirmLabel="Activate"
                      onConfirm={async () => {
                        await usersApi.activate(u.id);
                        refresh();
                      }}
                    >
                      Activate
                    </ConfirmButton>
                  )}
                </Group>
              ),
          },
        ]}
      />
      <Modal opened={adding} onClose={() => setAdding(false)} title="Add user">
        {adding && account && (
          <AddUserForm
            account={account}
            onCancel={() => setAdding(false)}
            onCreated={(u) => {
              setAdding(false);
              if (u.initialPassword) setSecret({ email: u.email, password: u.initialPassword });
            }}
          />
        )}
      </Modal>
      <SecretModal
        opened={!!secret}
        title="Password"
        secret={secret?.password ?? null}
        description={`Give this password to ${secret?.email ?? "the user"} over a safe channel.`}
        onClose={() => setSecret(null)}
      />
    </>
  );
}
