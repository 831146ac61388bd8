import {
  Alert,
  Anchor,
  Box,
  Button,
  Center,
  Divider,
  Group,
  Loader,
  Paper,
  PasswordInput,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  ThemeIcon,
  Title,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertCircle, IconCertificate, IconInfoCircle, IconKey } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type ReactNode, useRef, useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router-dom";
import type { RegistrationResult } from "../../../common/src/api/redemptions";
import { errorMessage } from "../api/client";
import { keys, redemptionsApi } from "../api/endpoints";
import { usePermissions, useSessionQuery, useSetSession } from "../auth/session";
import { applyApiError } from "../components/FormErrors";
import { LIMITS } from "../lib/enums";
import { usePageTitle } from "../lib/pageTitle";
import { all, required, email as validEmail, password as validPassword } from "../lib/validate";
import {
  emptyKey,
  KeyInput,
  type KeyValue,
  keyFromText,
  keyProblem,
  keyToSend,
  redeemRefusal,
  TooManyAttempts,
  useCountdown,
} from "./keyEntry";
import { portalEntitlementPath, type RedeemNotice } from "./paths";

/** The page frame outside the portals (like the login page): the brand, then one card. */
function PublicFrame({ children }: { children: ReactNode }) {
  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Box w="100%" maw={560} py="xl">
        <Stack align="center" gap={6} mb="lg">
          <ThemeIcon size={44} radius="md">
            <IconCertificate size={26} />
          </ThemeIcon>
          <Title order={2} fw={650}>
            Licensor
          </Title>
          <Text c="dimmed" size="sm">
            Register the key that came with your software
          </Text>
        </Stack>
        {children}
      </Box>
    </Center>
  );
}

interface RegistrationValues {
  key: KeyValue;
  company: string;
  firstName: string;
  lastName: string;
  email: string;
  password: string;
  confirmPassword: string;
}

/** Anonymous visitors: the key, and the account to create for it, in one step. */
function RegisterWithKeyCard({ initialKey, onRegistered }: { initialKey: string; onRegistered: () => void }) {
  const setSession = useSetSession();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const countdown = useCountdown();
  const [failure, setFailure] = useState<{ title: string; message: string } | null>(null);
  const form = useForm<RegistrationValues>({
    initialValues: {
      key: initialKey ? keyFromText(initialKey) : emptyKey(),
      company: "",
      firstName: "",
      lastName: "",
      email: "",
      password: "",
      confirmPassword: "",
    },
    validate: {
      key: keyProblem,
      company: (v) => required("Company")(v) ?? (v.includes(":") ? "Must not contain ':'" : null),
      firstName: required("First name"),
      lastName: required("Last name"),
      email: all(required("Email"), validEmail),
      password: (v, values) =>
        all(required("Password"), validPassword)(v) ??
        (values.email.trim() && v.toLowerCase() === values.email.trim().toLowerCase() ? "Must not be your email address" : null),
      confirmPassword: (v, values) => (v !== values.password ? "The passwords do not match" : null),
    },
  });
  // Checked on blur only once something is typed: an empty field turning red while the visitor moves
  // on (or clicks "Log in") would only shift the page under the pointer.
  const field = (name: Exclude<keyof RegistrationValues, "key">) => ({
    ...form.getInputProps(name),
    onBlur: () => {
      if (form.getValues()[name].trim()) form.validateField(name);
    },
  });

  const register = useMutation({
    mutationFn: (v: RegistrationValues) =>
      redemptionsApi.register({
        key: keyToSend(v.key),
        company: v.company.trim(),
        firstName: v.firstName.trim(),
        lastName: v.lastName.trim(),
        email: v.email.trim(),
        password: v.password,
      }),
    onSuccess: (r: RegistrationResult) => {
      // Logged in from here on: the page must not send the new customer to Register a key.
      onRegistered();
      // The API allows a null user (read back after the commit); then the session query loads it.
      if (r.user) setSession({ user: r.user, portal: "enduser", csrfToken: r.csrfToken, authMethod: "session" });
      qc.setQueryData([...keys.entitlements, "detail", r.entitlement.id], r.entitlement);
      const notice: RedeemNotice = { kind: "registered", entitlementId: r.entitlement.entitlementId };
      navigate(portalEntitlementPath(r.entitlement.id), { replace: true, state: { notice } });
    },
    onError: (e) => {
      const r = redeemRefusal(e);
      if (r.retryAfter) countdown.start(r.retryAfter);
      else if (r.field === "key") form.setFieldError("key", r.message);
      else if (r.fieldErrors) {
        const general = applyApiError(form, e);
        if (general) setFailure({ title: r.title, message: general });
      } else setFailure({ title: r.title, message: r.message });
    },
  });

  const typedKey = form.values.key.value.trim() ? keyToSend(form.values.key) : "";
  const next = `/redeem${typedKey ? `?key=${encodeURIComponent(typedKey)}` : ""}`;
  const waiting = countdown.remaining > 0;

  return (
    <Paper withBorder shadow="sm" radius="md" p={{ base: "md", xs: "xl" }}>
      <form
        noValidate
        onSubmit={form.onSubmit(
          (v) => {
            setFailure(null);
            register.mutate(v);
          },
          () => setFailure(null),
        )}
      >
        <Stack>
          <Box>
            <Title order={3} fw={600}>
              Register a key
            </Title>
            <Text size="sm" c="dimmed" mt={4}>
              Enter the key from your key card or email and create your account. The key becomes an entitlement of your company,
              ready to activate your software.
            </Text>
          </Box>
          <KeyInput
            value={form.values.key}
            onChange={(k) => {
              form.setFieldValue("key", k);
              setFailure(null);
            }}
            onBlur={() => form.values.key.value.trim() && form.validateField("key")}
            error={form.errors.key}
            autoFocus={!initialKey}
          />
          <Divider label="Create your account" labelPosition="left" mt="xs" />
          <TextInput label="Company" required autoComplete="organization" {...field("company")} />
          <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm">
            <TextInput label="First name" required autoComplete="given-name" {...field("firstName")} />
            <TextInput label="Last name" required autoComplete="family-name" {...field("lastName")} />
          </SimpleGrid>
          <TextInput
            label="Email"
            type="email"
            required
            autoComplete="email"
            placeholder="you@company.com"
            autoFocus={!!initialKey}
            {...field("email")}
          />
          <PasswordInput
            label="Password"
            required
            autoComplete="new-password"
            description={`At least ${LIMITS.passwordMin} characters`}
            {...field("password")}
          />
          <PasswordInput label="Repeat password" required autoComplete="new-password" {...field("confirmPassword")} />
          <TooManyAttempts seconds={countdown.remaining} />
          {failure && (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={failure.title} role="alert">
              {failure.message}
            </Alert>
          )}
          <Button type="submit" fullWidth loading={register.isPending} disabled={waiting} leftSection={<IconKey size={16} />}>
            Register
          </Button>
          <Text size="sm" ta="center">
            {/* Keeps the focus where it is, so no field's blur check moves the link away mid-click. */}
            <Anchor component={Link} to={`/login?next=${encodeURIComponent(next)}`} onMouseDown={(e) => e.preventDefault()}>
              Already have an account? Log in
            </Anchor>
          </Text>
        </Stack>
      </form>
    </Paper>
  );
}

/** Producer staff do not redeem here: they use Activate by key on List Entitlements. */
function ProducerNote({ keyText }: { keyText: string }) {
  const perms = usePermissions();
  const key = keyFromText(keyText).value;
  return (
    <Paper withBorder shadow="sm" radius="md" p={{ base: "md", xs: "xl" }}>
      <Stack>
        <Title order={3} fw={600}>
          Register a key
        </Title>
        <Alert color="blue" variant="light" icon={<IconInfoCircle size={18} />} title="You are logged in to the producer portal">
          Keys are registered by customers on this page, or by producer staff with "Activate by key" on List Entitlements in the
          producer portal.
        </Alert>
        {key && (
          <Text size="sm">
            Key:{" "}
            <Text span ff="monospace" fw={500}>
              {key}
            </Text>
          </Text>
        )}
        <Group>
          {perms.isProducerWriter && (
            <Button
              component={Link}
              to={`/entitlements${key ? `?activate=${encodeURIComponent(keyToSend(keyFromText(keyText)))}` : ""}`}
              leftSection={<IconKey size={16} />}
            >
              Activate by key
            </Button>
          )}
          <Button component={Link} to="/entitlements" variant="default">
            Go to List Entitlements
          </Button>
        </Group>
      </Stack>
    </Paper>
  );
}

/**
 * /redeem?key=…, where a key card's QR code leads: anonymous visitors register the key with a new
 * account; customers go to Register a key in their portal; producer staff get a pointer to Activate by key.
 */
export function RedeemPage() {
  usePageTitle("Register a key");
  const session = useSessionQuery();
  const [params] = useSearchParams();
  const key = params.get("key") ?? "";
  // Set when this page's registration succeeds: it then leads to the new entitlement itself.
  const registered = useRef(false);
  if (session.isLoading)
    return (
      <Center mih="100vh" bg="gray.0">
        <Loader aria-label="Loading" />
      </Center>
    );
  if (session.error)
    return (
      <PublicFrame>
        <Alert color="red" variant="light" title="Could not load" role="alert">
          {errorMessage(session.error)}
        </Alert>
      </PublicFrame>
    );
  if (session.data?.portal === "enduser" && !registered.current)
    return <Navigate to={`/portal/register-key${key ? `?key=${encodeURIComponent(key)}` : ""}`} replace />;
  return (
    <PublicFrame>
      {session.data && !registered.current ? (
        <ProducerNote keyText={key} />
      ) : (
        <RegisterWithKeyCard
          initialKey={key}
          onRegistered={() => {
            registered.current = true;
          }}
        />
      )}
    </PublicFrame>
  );
}
