import {
  Alert,
  Anchor,
  Box,
  Button,
  Center,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  ThemeIcon,
  Title,
} from "@mantine/core";
import { useForm } from "@mantine/form";
import { IconAlertCircle, IconCertificate } from "@tabler/icons-react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { errorMessage, isApiError } from "../api/client";
import { sessionApi } from "../api/endpoints";
import { usePageTitle } from "../lib/pageTitle";
import { all, required, email as validEmail } from "../lib/validate";
import { portalHome, type Session, useSessionQuery, useSetSession } from "./session";

/** Where a user lands: the page they asked for when it belongs to their portal, else the portal's home. */
function landingFor(s: Session, next: string | null): string {
  const home = portalHome(s.portal);
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/login")) return home;
  // The redeem page (a key card's QR code) serves both portals: customers register the key there.
  if (next === "/redeem" || next.startsWith("/redeem?")) return next;
  const inPortal = next === "/portal" || next.startsWith("/portal/");
  const inPartner = next === "/partner" || next.startsWith("/partner/");
  // Partners may open the customer pages too (their own simple entitlements and licenses).
  if (s.portal === "partner") return inPartner || inPortal ? next : home;
  return (s.portal === "enduser") === inPortal && !inPartner ? next : home;
}

function loginErrorWords(e: unknown): { title: string; text: string } {
  if (isApiError(e)) {
    if (e.code === "invalid_credentials")
      // The title labels the alert: keep "password" out of it so getByLabel("Password") finds only the input.
      return { title: "Could not log in", text: "The email or password is not correct. Check both and try again." };
    if (e.code === "login_locked") return { title: "Login temporarily locked", text: e.message };
    if (e.code === "rate_limited") return { title: "Too many attempts", text: e.message };
    if (e.code === "validation_failed") return { title: "Check your input", text: e.message };
    return { title: "Could not log in", text: e.message };
  }
  return { title: "Could not log in", text: errorMessage(e) };
}

export function LoginPage() {
  usePageTitle("Log in");
  const session = useSessionQuery();
  // Public: the producer's name (Settings > General) over the form.
  const branding = useQuery({ queryKey: ["branding"], queryFn: () => sessionApi.branding(), staleTime: 300_000, retry: false });
  const setSession = useSetSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = params.get("next");
  const [failure, setFailure] = useState<{ title: string; text: string } | null>(null);
  const form = useForm({
    initialValues: { email: "", password: "" },
    validate: {
      email: all(required("Email"), validEmail),
      password: required("Password"),
    },
    validateInputOnBlur: true,
  });
  const login = useMutation({
    mutationFn: (v: { email: string; password: string }) => sessionApi.login(v.email.trim(), v.password),
    onSuccess: (s) => {
      setSession(s);
      navigate(landingFor(s, next), { replace: true });
    },
    onError: (e) => {
      setFailure(loginErrorWords(e));
      form.setFieldValue("password", "");
    },
  });

  if (session.data) return <Navigate to={landingFor(session.data, next)} replace />;

  return (
    <Center mih="100vh" bg="gray.0" p="md">
      <Box w="100%" maw={400}>
        <Stack align="center" gap={6} mb="lg">
          <ThemeIcon size={44} radius="md">
            <IconCertificate size={26} />
          </ThemeIcon>
          <Title order={2} fw={650}>
            {branding.data?.producerName ?? "Licensor"}
          </Title>
          <Text c="dimmed" size="sm">
            Log in to manage entitlements and licenses
          </Text>
        </Stack>
        <Paper withBorder shadow="sm" radius="md" p="xl">
          <form
            onSubmit={form.onSubmit((v) => {
              setFailure(null);
              login.mutate(v);
            })}
            noValidate
          >
            <Stack>
              {failure && (
                <Alert color="red" variant="light" icon={<IconAlertCircle size={18} />} title={failure.title} role="alert">
                  {failure.text}
                </Alert>
              )}
              <TextInput
                label="Email"
                type="email"
                autoComplete="username"
                placeholder="you@company.com"
                required
                data-autofocus
                autoFocus
                {...form.getInputProps("email")}
              />
              <PasswordInput label="Password" autoComplete="current-password" required {...form.getInputProps("password")} />
              <Button type="submit" fullWidth loading={login.isPending} mt="xs">
                Log in
              </Button>
            </Stack>
          </form>
        </Paper>
        <Text size="sm" ta="center" mt="md">
          <Anchor component={Link} to="/forgot-password" onMouseDown={(e) => e.preventDefault()}>
            Forgot password?
          </Anchor>
        </Text>
        <Text size="sm" ta="center" mt="xs">
          {/* Keeps the focus in the form, so the email's blur check does not move the link away mid-click. */}
          <Anchor component={Link} to={next?.startsWith("/redeem") ? next : "/redeem"} onMouseDown={(e) => e.preventDefault()}>
            Got a key card? Register your key
          </Anchor>
        </Text>
      </Box>
    </Center>
  );
}
