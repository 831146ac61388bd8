import { Alert, Button, Group, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconMailExclamation } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { errorMessage } from "../api/client";
import { recoveryApi } from "../api/endpoints";
import { useSession } from "../auth/session";

/**
 * The customer portal's reminder for a user whose address is not verified (self-registered users
 * start so): everything works meanwhile; "Resend" emails a new link.
 */
export function VerifyEmailBanner() {
  const s = useSession();
  const resend = useMutation({
    mutationFn: () => recoveryApi.resendVerification(),
    onSuccess: () =>
      notifications.show({
        color: "green",
        title: "Email sent",
        message: `A new verification link is on its way to ${s.user.email}.`,
      }),
    onError: (e) => notifications.show({ color: "red", title: "Could not resend", message: errorMessage(e) }),
  });
  if (s.user.emailVerified !== false || s.authMethod !== "session") return null;
  return (
    <Alert color="yellow" variant="light" icon={<IconMailExclamation size={18} />} mb="md" title="Verify your email">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text size="sm">We sent a link to {s.user.email}. Open it to confirm the address is yours.</Text>
        <Button size="xs" variant="light" color="yellow" loading={resend.isPending} onClick={() => resend.mutate()}>
          Resend
        </Button>
      </Group>
    </Alert>
  );
}
