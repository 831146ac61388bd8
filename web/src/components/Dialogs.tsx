import { Alert, Button, Code, CopyButton, Group, Modal, Stack, Text, Tooltip } from "@mantine/core";
import { IconAlertTriangle, IconCheck, IconCopy } from "@tabler/icons-react";
import { type ReactNode, useState } from "react";
import { errorMessage } from "../api/client";

/** Shows a secret (generated password, API token) exactly once, with a copy button. */
export function SecretModal({
  opened,
  onClose,
  title,
  secret,
  description,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  secret: string | null;
  description: ReactNode;
}) {
  return (
    <Modal opened={opened && !!secret} onClose={onClose} title={title} size="lg" closeOnClickOutside={false}>
      <Stack>
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={18} />}>
          {description} It will not be shown again.
        </Alert>
        <Group wrap="nowrap" gap="xs" align="center">
          <Code
            block
            style={{ flex: 1, fontSize: 14, wordBreak: "break-all", whiteSpace: "pre-wrap" }}
            data-testid="secret-value"
          >
            {secret}
          </Code>
          <CopyButton value={secret ?? ""}>
            {({ copied, copy }) => (
              <Tooltip label={copied ? "Copied" : "Copy to clipboard"} withArrow>
                <Button
                  variant={copied ? "light" : "filled"}
                  color={copied ? "teal" : undefined}
                  leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                  onClick={copy}
                >
                  {copied ? "Copied" : "Copy"}
                </Button>
              </Tooltip>
            )}
          </CopyButton>
        </Group>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Done
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** A button that asks before doing something destructive or hard to undo. */
export function ConfirmButton({
  children,
  title,
  message,
  confirmLabel,
  onConfirm,
  color = "red",
  variant = "light",
  leftSection,
  disabled,
  size = "sm",
}: {
  children: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  color?: string;
  variant?: string;
  leftSection?: ReactNode;
  disabled?: boolean;
  size?: string;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setOpen(false);
    setError(null);
  };
  return (
    <>
      <Button
        color={color}
        variant={variant}
        leftSection={leftSection}
        disabled={disabled}
        size={size}
        onClick={() => setOpen(true)}
      >
        {children}
      </Button>
      <Modal opened={open} onClose={close} title={title}>
        <Stack>
          <Text size="sm">{message}</Text>
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
              color={color}
              loading={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await onConfirm();
                  close();
                } catch (e) {
                  setError(errorMessage(e));
                } finally {
                  setBusy(false);
                }
              }}
            >
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
