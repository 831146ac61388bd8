import { Alert, Button, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconCircleCheck, IconMail } from "@tabler/icons-react";
import { useState } from "react";
import type { EmailLicenseResult, Fulfillment } from "../../../common/src/api/fulfillments";
import { fulfillmentsApi } from "../api/endpoints";
import { FormAlert, useApiForm } from "../components/FormErrors";

/** A comma-separated list of addresses, each checked as you type (the server checks again). */
function addressesProblem(v: string): string | null {
  const list = v
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean);
  if (list.length === 0) return "Give at least one address";
  const bad = list.find((a) => !/^[^@\s<>",;]+@[^@\s<>",;]+\.[^@\s<>",;]+$/.test(a));
  return bad ? `'${bad}' is not an email address` : null;
}

/** FNO's "Email License": the license file sent again, to its ship-to list or to the addresses given. */
export function EmailLicenseButton({ fulfillment }: { fulfillment: Fulfillment }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="default" leftSection={<IconMail size={16} />} onClick={() => setOpen(true)}>
        Email license
      </Button>
      {open && <EmailLicenseDialog fulfillment={fulfillment} onClose={() => setOpen(false)} />}
    </>
  );
}

function EmailLicenseDialog({ fulfillment, onClose }: { fulfillment: Fulfillment; onClose: () => void }) {
  const [sent, setSent] = useState<EmailLicenseResult | null>(null);
  const form = useForm({
    initialValues: { to: fulfillment.shipToEmail ?? "" },
    validate: { to: addressesProblem },
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => fulfillmentsApi.email(fulfillment.id, { to: v.to.trim() }),
    { onSuccess: (r) => setSent(r) },
  );
  return (
    <Modal opened onClose={onClose} title="Email license" size="md">
      {sent ? (
        <Stack>
          <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} title="Queued">
            The license {fulfillment.id} goes to {sent.recipients.join(", ")}; it is in the outbox until it is sent.
          </Alert>
          <Group justify="flex-end">
            <Button onClick={onClose}>Close</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack>
            <FormAlert error={error} onClose={() => setError(null)} />
            <Text size="sm">The license file is attached to the message, with its text form in the body.</Text>
            <TextInput
              label="To"
              description="Comma-separated addresses"
              placeholder="it@customer.example"
              required
              data-autofocus
              {...form.getInputProps("to")}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={pending} leftSection={<IconMail size={16} />}>
                Send
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
