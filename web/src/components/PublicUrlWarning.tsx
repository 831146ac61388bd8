import { Alert, Code, type MantineSpacing } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { usePermissions, useSession } from "../auth/session";

/**
 * Shown to producer staff where key cards are printed: when the server's public address
 * (LICENSOR_PUBLIC_URL) is unset or local, every card's printed address and QR code would lead
 * end users to localhost, which on their phone is the phone itself.
 */
export function PublicUrlWarning({ mb }: { mb?: MantineSpacing }) {
  const { publicUrl } = useSession();
  const { isProducerStaff } = usePermissions();
  // Partners print cards too (partner portal), but only the producer's operators can set the address.
  if (!publicUrl?.local || !isProducerStaff) return null;
  return (
    <Alert
      color="orange"
      variant="light"
      icon={<IconAlertTriangle size={18} />}
      title="Key cards would point at this machine"
      data-testid="public-url-warning"
      role="alert"
      mb={mb}
    >
      Key cards and their QR codes lead to <Code>{publicUrl.url}/redeem</Code>, which end users cannot reach. Before printing, set{" "}
      <Code>LICENSOR_PUBLIC_URL</Code> to the portal's address as your customers reach it (for example{" "}
      <Code>https://licensing.example.com</Code>) and restart the server.
    </Alert>
  );
}
