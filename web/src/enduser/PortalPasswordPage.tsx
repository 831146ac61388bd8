import { Paper } from "@mantine/core";
import { ChangePasswordForm } from "../components/ChangePasswordForm";
import { PageHeader } from "../components/Page";

export function PortalPasswordPage() {
  return (
    <>
      <PageHeader title="Password" />
      <Paper withBorder radius="md" p="lg">
        <ChangePasswordForm />
      </Paper>
    </>
  );
}
