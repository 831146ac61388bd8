import { Alert, Anchor, Box, Button, Center, Loader, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconCircleCheck } from "@tabler/icons-react";
import { useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useEffect, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { errorMessage } from "../api/client";
import { keys, recoveryApi } from "../api/endpoints";
import { FormAlert, useApiForm } from "../components/FormErrors";
import { LIMITS } from "../lib/enums";
import { usePageTitle } from "../lib/pageTitle";
import { all, password, required, email as validEmail } from "../lib/validate";

/*
 * The public pages of a forgotten password and of email verification: what the emailed links open.
 * Their own small chunk (like the redeem page): no portal code loads for them.
 */

function PublicCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Box w="100%" maw={420}>
        <Title order={2} fw={650} ta="center" mb="lg">
          {title}
        </Title>
        <Paper withBorder shadow="sm" radius="md" p="xl">
          {children}
        </Paper>
        <Text size="sm" ta="center" mt="md">
          <Anchor component={Link} to="/login">
            Back to log in
          </Anchor>
        </Text>
      </Box>
    </Center>
  );
}

/** "Forgot password?": asks the email; the answer never says whether an account exists. */
export function ForgotPasswordPage() {
  usePageTitle("Forgot password");
  const [sent, setSent] = useState<string | null>(null);
  const form = useForm({
    initialValues: { email: "" },
    validate: { email: all(required("Email"), validEmail) },
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(form, (v) => recoveryApi.requestReset(v.email.trim()), {
    onSuccess: (r) => setSent(r.message),
  });
  return (
    <PublicCard title="Forgot your password?">
      {sent ? (
        <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} title="Check your email" role="status">
          {sent} If nothing arrives, check the address and your spam folder, or ask your administrator.
        </Alert>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack>
            <Text size="sm" c="dimmed">
              Enter the email you log in with. If an account exists, we send it a link to choose a new password.
            </Text>
            <TextInput label="Email" type="email" autoComplete="username" required autoFocus {...form.getInputProps("email")} />
            <FormAlert error={error} onClose={() => setError(null)} />
            <Button type="submit" loading={pending} fullWidth>
              Send reset link
            </Button>
          </Stack>
        </form>
      )}
    </PublicCard>
  );
}

/** /reset-password?token=…: a new password, twice; the policy's reason shown when refused. */
export function ResetPasswordPage() {
  usePageTitle("Choose a new password");
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [done, setDone] = useState(false);
  const form = useForm({
    initialValues: { password: "", confirmPassword: "" },
    validate: {
      password: all(required("New password"), password),
      confirmPassword: (v, values) => (v !== values.password ? "The passwords do not match" : null),
    },
    validateInputOnChange: ["confirmPassword"],
    validateInputOnBlur: true,
  });
  const { onSubmit, error, setError, pending } = useApiForm(form, (v) => recoveryApi.confirmReset(token, v.password), {
    onSuccess: () => setDone(true),
  });
  if (!token)
    return (
      <PublicCard title="Choose a new password">
        <Alert color="red" variant="light" role="alert" title="This link is incomplete">
          Open the link from the email exactly as it was sent, or{" "}
          <Anchor component={Link} to="/forgot-password">
            ask for a new one
          </Anchor>
          .
        </Alert>
      </PublicCard>
    );
  return (
    <PublicCard title="Choose a new password">
      {done ? (
        <Stack>
          <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} title="Password changed" role="status">
            Your password is changed and every session that was open is logged out.
          </Alert>
          <Button component={Link} to="/login" fullWidth>
            Log in
          </Button>
        </Stack>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <Stack>
            <Text size="sm" c="dimmed">
              Use at least {LIMITS.passwordMin} characters, and nothing common or easy to guess (a passphrase of uncommon words,
              or a password manager's).
            </Text>
            <PasswordInput
              label="New password"
              autoComplete="new-password"
              required
              autoFocus
              {...form.getInputProps("password")}
            />
            <PasswordInput
              label="Repeat password"
              autoComplete="new-password"
              required
              {...form.getInputProps("confirmPassword")}
            />
            {/* The link's problem reads better without its field name: the user never saw a "token". */}
            <FormAlert error={error?.replace(/^token: /, "")} onClose={() => setError(null)} />
            {error?.startsWith("token") && (
              <Anchor component={Link} to="/forgot-password" size="sm">
                Ask for a new link
              </Anchor>
            )}
            <Button type="submit" loading={pending} fullWidth>
              Set new password
            </Button>
          </Stack>
        </form>
      )}
    </PublicCard>
  );
}

/** /verify-email?token=…: confirms once, on opening (the token is the whole request). */
export function VerifyEmailPage() {
  usePageTitle("Verify email");
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const queryClient = useQueryClient();
  const [state, setState] = useState<{ kind: "pending" } | { kind: "done" } | { kind: "failed"; text: string }>(
    token ? { kind: "pending" } : { kind: "failed", text: "This link is incomplete: open it exactly as the email sent it." },
  );
  // Once per page, even under React's double effects in development.
  const started = useRef(false);
  useEffect(() => {
    if (!token || started.current) return;
    started.current = true;
    recoveryApi.confirmVerification(token).then(
      () => {
        setState({ kind: "done" });
        void queryClient.invalidateQueries({ queryKey: keys.session });
      },
      (e) => setState({ kind: "failed", text: errorMessage(e) }),
    );
  }, [token, queryClient]);
  return (
    <PublicCard title="Verify your email">
      {state.kind === "pending" && <Loader aria-label="Verifying" />}
      {state.kind === "done" && (
        <Stack>
          <Alert color="green" variant="light" icon={<IconCircleCheck size={18} />} title="Email verified" role="status">
            Thank you: your email address is verified.
          </Alert>
          <Button component={Link} to="/portal" fullWidth>
            Go to the portal
          </Button>
        </Stack>
      )}
      {state.kind === "failed" && (
        <Alert color="red" variant="light" role="alert" title="Could not verify">
          {state.text} Log in and use “Resend” on the banner for a new link.
        </Alert>
      )}
    </PublicCard>
  );
}
