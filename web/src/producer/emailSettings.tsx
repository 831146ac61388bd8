import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  Grid,
  Group,
  NumberInput,
  Paper,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconSend } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import type {
  EmailSettings,
  EmailSettingsUpdateBody,
  EmailTemplateName,
  EmailTemplateOut,
  SmtpSecurity,
} from "../../../common/src/api/email";
import { errorMessage } from "../api/client";
import { emailSettingsApi, keys } from "../api/endpoints";
import { usePermissions } from "../auth/session";
import { FormAlert, LoadError, useApiForm } from "../components/FormErrors";
import { Section } from "../components/Page";
import { orNull } from "../lib/format";

const SECURITY_OPTIONS: { value: SmtpSecurity; label: string }[] = [
  { value: "STARTTLS", label: "STARTTLS (usually port 587)" },
  { value: "TLS", label: "TLS (usually port 465)" },
  { value: "NONE", label: "None (plain, e.g. a local relay on 25)" },
];
const TEMPLATE_LABELS: Record<EmailTemplateName, string> = {
  entitlementCertificate: "Entitlement certificate",
  license: "License",
  passwordReset: "Password reset",
  verifyEmail: "Email verification",
};

/** Settings → Email: the SMTP server, "Send test email", and the templates with a live preview. */
export function EmailSettingsTab() {
  const perms = usePermissions();
  const q = useQuery({ queryKey: keys.emailSettings, queryFn: emailSettingsApi.get });
  if (q.error) return <LoadError error={q.error} what="the email settings" />;
  if (!q.data)
    return (
      <Text c="dimmed" size="sm">
        Loading…
      </Text>
    );
  return (
    <Stack>
      {!perms.isProducerAdmin && (
        <Alert color="gray" variant="light">
          Only producer administrators can change these settings.
        </Alert>
      )}
      <SmtpCard settings={q.data} canEdit={perms.isProducerAdmin} />
      {perms.isProducerAdmin && <TestEmailCard settings={q.data} />}
      <TemplatesCard canEdit={perms.isProducerAdmin} />
    </Stack>
  );
}

function SmtpCard({ settings, canEdit }: { settings: EmailSettings; canEdit: boolean }) {
  const qc = useQueryClient();
  const form = useForm({
    initialValues: {
      host: settings.host ?? "",
      port: settings.port as number | string,
      security: settings.security as string,
      user: settings.user ?? "",
      password: "",
      clearPassword: false,
      fromAddress: settings.fromAddress ?? "",
      fromName: settings.fromName ?? "",
    },
  });
  const { onSubmit, error, setError, pending } = useApiForm(
    form,
    (v) => {
      const body: EmailSettingsUpdateBody = {
        host: orNull(v.host),
        port: Number(v.port),
        security: v.security as SmtpSecurity,
        user: orNull(v.user),
        fromAddress: orNull(v.fromAddress),
        fromName: orNull(v.fromName),
        // Empty: the stored password is kept.
        ...(v.clearPassword ? { password: null } : v.password ? { password: v.password } : {}),
      };
      return emailSettingsApi.update(body);
    },
    {
      onSuccess: (s) => {
        qc.setQueryData(keys.emailSettings, s);
        form.setValues({ password: "", clearPassword: false });
        notifications.show({ color: "green", message: "Email settings saved." });
      },
    },
  );
  return (
    <Section
      title={
        <Group gap="xs">
          SMTP server
          <Badge color={settings.configured ? "green" : "orange"} variant="light" data-testid="smtp-configured">
            {settings.configured ? "Sending" : "Not configured: emails stay in the Outbox"}
          </Badge>
        </Group>
      }
    >
      <form onSubmit={onSubmit}>
        <Stack>
          <FormAlert error={error} onClose={() => setError(null)} />
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <TextInput
              label="Host"
              placeholder="smtp.example.com (empty: no sending)"
              disabled={!canEdit}
              {...form.getInputProps("host")}
            />
            <NumberInput label="Port" min={1} max={65535} disabled={!canEdit} {...form.getInputProps("port")} />
            <Select
              label="Security"
              data={SECURITY_OPTIONS}
              allowDeselect={false}
              disabled={!canEdit}
              {...form.getInputProps("security")}
            />
            <TextInput label="User" placeholder="optional" disabled={!canEdit} {...form.getInputProps("user")} />
            <PasswordInput
              label="Password"
              description={settings.passwordSet ? "A password is stored (encrypted). Leave empty to keep it." : "None stored."}
              disabled={!canEdit || form.values.clearPassword}
              autoComplete="new-password"
              {...form.getInputProps("password")}
            />
            <Checkbox
              mt="xl"
              label="Clear the stored password"
              disabled={!canEdit || !settings.passwordSet}
              {...form.getInputProps("clearPassword", { type: "checkbox" })}
            />
            <TextInput
              label="From address"
              placeholder="licensing@example.com"
              disabled={!canEdit}
              {...form.getInputProps("fromAddress")}
            />
            <TextInput
              label="From name"
              placeholder="Example Licensing"
              disabled={!canEdit}
              {...form.getInputProps("fromName")}
            />
          </SimpleGrid>
          {canEdit && (
            <Group justify="flex-end">
              <Button type="submit" loading={pending}>
                Save
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Section>
  );
}

function TestEmailCard({ settings }: { settings: EmailSettings }) {
  const navigate = useNavigate();
  const [to, setTo] = useState("");
  const send = useMutation({
    mutationFn: () => emailSettingsApi.test(to.trim()),
    onSuccess: (m) => {
      notifications.show({ color: "green", message: `Test email queued to ${m.to.join(", ")}.` });
      navigate(`/outbox/${encodeURIComponent(m.id)}`);
    },
    onError: (e) => notifications.show({ color: "red", title: "Could not send", message: errorMessage(e) }),
  });
  return (
    <Section title="Send test email">
      <Group align="flex-end">
        <TextInput label="To" placeholder="you@example.com" value={to} onChange={(e) => setTo(e.currentTarget.value)} w={320} />
        <Button leftSection={<IconSend size={16} />} loading={send.isPending} disabled={!to.trim()} onClick={() => send.mutate()}>
          Send test email
        </Button>
      </Group>
      {!settings.configured && (
        <Text size="xs" c="dimmed" mt="xs">
          No SMTP server is configured: the test email will wait in the Outbox.
        </Text>
      )}
    </Section>
  );
}

function TemplatesCard({ canEdit }: { canEdit: boolean }) {
  const q = useQuery({ queryKey: [...keys.emailSettings, "templates"], queryFn: emailSettingsApi.templates });
  const [name, setName] = useState<EmailTemplateName>("entitlementCertificate");
  if (q.error) return <LoadError error={q.error} what="the email templates" />;
  const t = q.data?.items.find((x) => x.name === name);
  return (
    <Section title="Templates">
      <Stack>
        <Select
          label="Template"
          w={280}
          allowDeselect={false}
          data={(q.data?.items ?? []).map((x) => ({ value: x.name, label: TEMPLATE_LABELS[x.name] }))}
          value={name}
          onChange={(v) => v && setName(v as EmailTemplateName)}
        />
        {t && <TemplateEditor key={`${t.name}:${t.subject}:${t.body}`} template={t} canEdit={canEdit} />}
      </Stack>
    </Section>
  );
}

function TemplateEditor({ template, canEdit }: { template: EmailTemplateOut; canEdit: boolean }) {
  const qc = useQueryClient();
  const [subject, setSubject] = useState(template.subject);
  const [body, setBody] = useState(template.body);
  // Strings, not an object: a new object each render would never settle and preview in a loop.
  const [draftSubject] = useDebouncedValue(subject, 300);
  const [draftBody] = useDebouncedValue(body, 300);
  const [preview, setPreview] = useState<{ subject: string; body: string } | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    if (!draftSubject || !draftBody) return;
    emailSettingsApi.preview(template.name, { subject: draftSubject, body: draftBody }).then(
      (p) => {
        if (!live) return;
        setPreview(p);
        setPreviewError(null);
      },
      (e) => live && setPreviewError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
  }, [draftSubject, draftBody, template.name]);
  const save = useMutation({
    mutationFn: (reset: boolean) => emailSettingsApi.updateTemplate(template.name, reset ? { reset: true } : { subject, body }),
    onSuccess: () => {
      notifications.show({ color: "green", message: "Template saved." });
      void qc.invalidateQueries({ queryKey: [...keys.emailSettings, "templates"] });
    },
    onError: (e) => notifications.show({ color: "red", title: "Could not save", message: errorMessage(e) }),
  });
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 7 }}>
        <Stack>
          <TextInput label="Subject" value={subject} disabled={!canEdit} onChange={(e) => setSubject(e.currentTarget.value)} />
          <Textarea
            label="Body (plain text)"
            autosize
            minRows={10}
            value={body}
            disabled={!canEdit}
            onChange={(e) => setBody(e.currentTarget.value)}
            styles={{ input: { fontFamily: "monospace" } }}
          />
          {canEdit && (
            <Group justify="space-between">
              <Text size="xs" c="dimmed">
                {template.isDefault ? "The shipped default." : "Edited."}
              </Text>
              <Group>
                <Button
                  variant="default"
                  disabled={template.isDefault}
                  loading={save.isPending}
                  onClick={() => save.mutate(true)}
                >
                  Reset to default
                </Button>
                <Button loading={save.isPending} disabled={!!previewError} onClick={() => save.mutate(false)}>
                  Save template
                </Button>
              </Group>
            </Group>
          )}
          <Paper withBorder p="sm" radius="md" bg="gray.0">
            <Text size="xs" c="dimmed" tt="uppercase" fw={600} mb={4}>
              Preview with sample values
            </Text>
            {previewError ? (
              <Alert color="red" variant="light" data-testid="template-preview-error">
                {previewError}
              </Alert>
            ) : preview ? (
              <Stack gap={4} data-testid="template-preview">
                <Text size="sm" fw={600}>
                  {preview.subject}
                </Text>
                <Text component="pre" size="sm" style={{ whiteSpace: "pre-wrap", margin: 0 }}>
                  {preview.body}
                </Text>
              </Stack>
            ) : (
              <Text size="sm" c="dimmed">
                …
              </Text>
            )}
          </Paper>
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Text size="sm" fw={600} mb={4}>
          Placeholders
        </Text>
        <Table withRowBorders={false} verticalSpacing={2}>
          <Table.Tbody>
            {template.placeholders.map((p) => (
              <Table.Tr key={p.name}>
                <Table.Td>
                  <Code>{`{{${p.name}}}`}</Code>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{p.description}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Grid.Col>
    </Grid>
  );
}
