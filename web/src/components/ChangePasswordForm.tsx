import { Button, Checkbox, Group, PasswordInput, Stack, Text } from "@mantine/core";
import { useForm } from "@mantine/form";
import { notifications } from "@mantine/notifications";
import { sessionApi } from "../api/endpoints";
import { LIMITS } from "../lib/enums";
import { all, password, required } from "../lib/validate";
import { FormAlert, useApiForm } from "./FormErrors";

export function ChangePasswordForm() {
  const form = useForm({
    initialValues: { currentPassword: "", newPassword: "", confirmPassword: "", revokeTokens: false },
    validate: {
      currentPassword: required("Current password"),
      newPassword: (v, values) =>
        all(required("New password"), password)(v) ??
        (v === values.currentPassword ? "Choose a password different from the current one" : null),
      confirmPassword: (v, values) => (v !== values.newPassword ? "The passwords do not match" : null),
    },
    validateInputOnChange: ["newPassword", "confirmPassword"],
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => sessionApi.changePassword(v.currentPassword, v.newPassword, v.revokeTokens),
    {
      onSuccess: (_r, v) => {
        form.reset();
        notifications.show({
          color: "green",
          title: "Password changed",
          message: v.revokeTokens
            ? "Your other sessions have been logged out and your API tokens revoked."
            : "Your other sessions have been logged out.",
        });
      },
    },
  );
  return (
    <form onSubmit={onSubmit} noValidate>
      <Stack maw={420}>
        <Text size="sm" c="dimmed">
          Use at least {LIMITS.passwordMin} characters, and nothing common or easy to guess (a passphrase of uncommon words, or a
          password manager's). Changing your password logs out your other sessions.
        </Text>
        <PasswordInput
          label="Current password"
          autoComplete="current-password"
          required
          {...form.getInputProps("currentPassword")}
        />
        <PasswordInput label="New password" autoComplete="new-password" required {...form.getInputProps("newPassword")} />
        <PasswordInput label="Repeat password" autoComplete="new-password" required {...form.getInputProps("confirmPassword")} />
        <Checkbox
          label="Also revoke all my API tokens"
          description="Do this if someone else may have known your password: tokens they made stop working."
          {...form.getInputProps("revokeTokens", { type: "checkbox" })}
        />
        <FormAlert error={error} onClose={() => setError(null)} />
        <Group>
          <Button type="submit" loading={pending}>
            Change password
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
