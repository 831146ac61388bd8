import { Button, Center, createTheme, Loader, MantineProvider, Stack, Text } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { type ComponentType, lazy, Suspense, useEffect } from "react";
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from "react-router-dom";
import { errorMessage, isApiError, setCsrfToken, setUnauthenticatedHandler } from "./api/client";
import { keys } from "./api/endpoints";
import { portalHome, useSessionQuery } from "./auth/session";

/*
 * Each part of the portal is its own download, fetched when a route first needs it: the public
 * redeem page (what a key card's QR code opens on a phone) loads neither the producer portal nor
 * the end-user portal's pages. Pages from one module share a chunk.
 */
function page<M, K extends keyof M>(load: () => Promise<M>, name: K) {
  return lazy(() => load().then((m) => ({ default: m[name] as ComponentType })));
}
const auth = () => import("./auth/LoginPage");
const shells = () => import("./components/Shells");
const notFound = () => import("./components/NotFound");
const LoginPage = page(auth, "LoginPage");
const RedeemPage = page(() => import("./enduser/RedeemPage"), "RedeemPage");
const recovery = () => import("./auth/RecoveryPages");
const ForgotPasswordPage = page(recovery, "ForgotPasswordPage");
const ResetPasswordPage = page(recovery, "ResetPasswordPage");
const VerifyEmailPage = page(recovery, "VerifyEmailPage");
const PortalShell = page(shells, "PortalShell");
const ProducerShell = page(shells, "ProducerShell");
const PartnerShell = page(shells, "PartnerShell");
const partner = () => import("./partner/pages");
const PartnerHomePage = page(partner, "PartnerHomePage");
const PartnerBulkPage = page(partner, "PartnerBulkPage");
const PartnerAccountsPage = page(partner, "PartnerAccountsPage");
const NotFoundPage = lazy(() => notFound().then((m) => ({ default: m.NotFoundPage })));
const PortalAccountPage = page(() => import("./enduser/PortalAccountPage"), "PortalAccountPage");
const portalEntitlements = () => import("./enduser/PortalEntitlementsPage");
const PortalEntitlementsPage = page(portalEntitlements, "PortalEntitlementsPage");
const PortalEntitlementDetailPage = page(portalEntitlements, "PortalEntitlementDetailPage");
const PortalPasswordPage = page(() => import("./enduser/PortalPasswordPage"), "PortalPasswordPage");
const PortalRegisterKeyPage = page(() => import("./enduser/PortalRegisterKeyPage"), "PortalRegisterKeyPage");
const PortalUsersPage = page(() => import("./enduser/PortalUsersPage"), "PortalUsersPage");
const accounts = () => import("./producer/accounts");
const AccountCreatePage = page(accounts, "AccountCreatePage");
const AccountDetailPage = page(accounts, "AccountDetailPage");
const AccountsListPage = page(accounts, "AccountsListPage");
const AuditPage = page(() => import("./producer/audit"), "AuditPage");
const EventsPage = page(() => import("./producer/events"), "EventsPage");
const entitlements = () => import("./producer/entitlements");
const CreateBulkEntitlementPage = page(entitlements, "CreateBulkEntitlementPage");
const CreateSimpleEntitlementPage = page(entitlements, "CreateSimpleEntitlementPage");
const CreateTestBulkEntitlementPage = page(entitlements, "CreateTestBulkEntitlementPage");
const EntitlementDetailPage = page(entitlements, "EntitlementDetailPage");
const EntitlementsListPage = page(entitlements, "EntitlementsListPage");
const HomePage = page(() => import("./producer/home"), "HomePage");
const jobs = () => import("./producer/jobs");
const JobDetailPage = page(jobs, "JobDetailPage");
const JobsListPage = page(jobs, "JobsListPage");
const outbox = () => import("./producer/outbox");
const OutboxDetailPage = page(outbox, "OutboxDetailPage");
const OutboxListPage = page(outbox, "OutboxListPage");
const KeysPage = page(() => import("./producer/keys"), "KeysPage");
const licenses = () => import("./licenses/LicensesPages");
const ProducerLicensesPage = page(licenses, "ProducerLicensesPage");
const ProducerLicenseDetailPage = page(licenses, "ProducerLicenseDetailPage");
const PortalLicensesPage = page(licenses, "PortalLicensesPage");
const PortalLicenseDetailPage = page(licenses, "PortalLicenseDetailPage");
const licenseModels = () => import("./producer/licenseModels");
const LicenseModelCreatePage = page(licenseModels, "LicenseModelCreatePage");
const LicenseModelDetailPage = page(licenseModels, "LicenseModelDetailPage");
const LicenseModelsListPage = page(licenseModels, "LicenseModelsListPage");
const partNumbers = () => import("./producer/partNumbers");
const PartNumberCreatePage = page(partNumbers, "PartNumberCreatePage");
const PartNumberDetailPage = page(partNumbers, "PartNumberDetailPage");
const PartNumbersListPage = page(partNumbers, "PartNumbersListPage");
const products = () => import("./producer/products");
const ProductCreatePage = page(products, "ProductCreatePage");
const ProductDetailPage = page(products, "ProductDetailPage");
const ProductsListPage = page(products, "ProductsListPage");
const SettingsPage = page(() => import("./producer/settings"), "SettingsPage");
const reports = () => import("./reports/ReportsPages");
const ProducerReportsPage = page(reports, "ProducerReportsPage");
const ChainPage = page(reports, "ChainPage");
const PartnerReportsPage = page(reports, "PartnerReportsPage");
const users = () => import("./producer/users");
const UserCreatePage = page(users, "UserCreatePage");
const UserDetailPage = page(users, "UserDetailPage");
const UsersListPage = page(users, "UsersListPage");

const theme = createTheme({
  primaryColor: "indigo",
  defaultRadius: "md",
  fontFamily:
    "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Noto Sans', sans-serif, 'Apple Color Emoji', 'Segoe UI Emoji'",
  headings: { fontWeight: "600" },
  components: {
    Tooltip: { defaultProps: { withinPortal: true } },
    // Mantine keeps closed dropdowns in the DOM, labelled like their input; unmount them so a
    // label finds one element (getByLabel("Type") is the select, not also its hidden listbox).
    Combobox: { defaultProps: { keepMounted: false } },
    // The default "Toggle password visibility" label would make getByLabel("Password") ambiguous.
    PasswordInput: {
      defaultProps: { withAsterisk: false, visibilityToggleButtonProps: { "aria-label": "Show or hide characters" } },
    },
    // Required inputs get their asterisk from styles.css (CSS content with empty alt text), so the
    // label's text stays exactly "Name" for getByLabel/getByRole instead of "Name *".
    ...Object.fromEntries(
      ["TextInput", "Select", "MultiSelect", "NumberInput", "Textarea", "Autocomplete", "TagsInput"].map((c) => [
        c,
        { defaultProps: { withAsterisk: false } },
      ]),
    ),
  },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      retry: (count, err) => !(isApiError(err) && err.status < 500) && count < 2,
    },
    mutations: { retry: false },
  },
  queryCache: new QueryCache(),
  mutationCache: new MutationCache(),
});

function FullPage({ children }: { children: React.ReactNode }) {
  return (
    <Center mih="100vh" bg="gray.0">
      {children}
    </Center>
  );
}

/** While a part of the portal downloads (see `page` above). */
function PageLoading() {
  return (
    <FullPage>
      <Loader aria-label="Loading" />
    </FullPage>
  );
}

/**
 * Lets only users of the given portal(s) through: others go to their own portal, anonymous visitors
 * to the login page. Partners also reach the customer pages (their own simple entitlements, licenses).
 */
function RequirePortal({ portal }: { portal: "producer" | "partner" | "enduser" | ("partner" | "enduser")[] }) {
  const { data, isLoading, error, refetch } = useSessionQuery();
  const location = useLocation();
  if (isLoading) return <PageLoading />;
  if (error)
    return (
      <FullPage>
        <Stack align="center">
          <Text>{errorMessage(error)}</Text>
          <Button onClick={() => refetch()}>Try again</Button>
        </Stack>
      </FullPage>
    );
  if (!data) {
    const next = location.pathname + location.search;
    return <Navigate to={next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (!(Array.isArray(portal) ? portal : [portal]).includes(data.portal as never))
    return <Navigate to={portalHome(data.portal)} replace />;
  return <Outlet />;
}

function SessionExpiry() {
  useEffect(() => {
    // Any call answered 401 means the session ended (expired, logged out elsewhere, password changed).
    setUnauthenticatedHandler(() => {
      setCsrfToken(null);
      queryClient.setQueryData(keys.session, null);
    });
    return () => setUnauthenticatedHandler(null);
  }, []);
  return null;
}

export function App() {
  return (
    <MantineProvider theme={theme} defaultColorScheme="light">
      <Notifications position="bottom-right" />
      <QueryClientProvider client={queryClient}>
        <SessionExpiry />
        <BrowserRouter>
          <Suspense fallback={<PageLoading />}>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              {/* Public: where a key card's QR code leads. */}
              <Route path="/redeem" element={<RedeemPage />} />
              <Route path="/forgot-password" element={<ForgotPasswordPage />} />
              <Route path="/reset-password" element={<ResetPasswordPage />} />
              <Route path="/verify-email" element={<VerifyEmailPage />} />
              <Route element={<RequirePortal portal={["enduser", "partner"]} />}>
                <Route path="/portal" element={<PortalShell />}>
                  <Route index element={<PortalAccountPage />} />
                  <Route path="entitlements" element={<PortalEntitlementsPage />} />
                  <Route path="entitlements/:id" element={<PortalEntitlementDetailPage />} />
                  <Route path="licenses" element={<PortalLicensesPage />} />
                  <Route path="licenses/:id" element={<PortalLicenseDetailPage />} />
                  <Route path="register-key" element={<PortalRegisterKeyPage />} />
                  <Route path="users" element={<PortalUsersPage />} />
                  <Route path="password" element={<PortalPasswordPage />} />
                  <Route path="*" element={<NotFoundPage home="/portal" />} />
                </Route>
              </Route>
              <Route element={<RequirePortal portal="partner" />}>
                <Route path="/partner" element={<PartnerShell />}>
                  <Route index element={<PartnerHomePage />} />
                  <Route path="entitlements/:id" element={<PartnerBulkPage />} />
                  <Route path="accounts" element={<PartnerAccountsPage />} />
                  <Route path="users" element={<PortalUsersPage />} />
                  <Route path="password" element={<PortalPasswordPage />} />
                  <Route path="reports" element={<PartnerReportsPage />} />
                  <Route path="*" element={<NotFoundPage home="/partner" />} />
                </Route>
              </Route>
              <Route element={<RequirePortal portal="producer" />}>
                <Route element={<ProducerShell />}>
                  <Route index element={<HomePage />} />
                  <Route path="entitlements" element={<EntitlementsListPage />} />
                  <Route path="entitlements/new/simple" element={<CreateSimpleEntitlementPage />} />
                  <Route path="entitlements/new/bulk" element={<CreateBulkEntitlementPage />} />
                  <Route path="entitlements/new/test-bulk" element={<CreateTestBulkEntitlementPage />} />
                  <Route path="entitlements/:id" element={<EntitlementDetailPage />} />
                  <Route path="entitlements/:id/chain" element={<ChainPage />} />
                  <Route path="licenses" element={<ProducerLicensesPage />} />
                  <Route path="licenses/:id" element={<ProducerLicenseDetailPage />} />
                  <Route path="accounts" element={<AccountsListPage />} />
                  <Route path="accounts/new" element={<AccountCreatePage />} />
                  <Route path="accounts/:id" element={<AccountDetailPage />} />
                  <Route path="users" element={<UsersListPage />} />
                  <Route path="users/new" element={<UserCreatePage />} />
                  <Route path="users/:id" element={<UserDetailPage />} />
                  <Route path="products" element={<ProductsListPage />} />
                  <Route path="products/new" element={<ProductCreatePage />} />
                  <Route path="products/:id" element={<ProductDetailPage />} />
                  <Route path="license-models" element={<LicenseModelsListPage />} />
                  <Route path="license-models/new" element={<LicenseModelCreatePage />} />
                  <Route path="license-models/:id" element={<LicenseModelDetailPage />} />
                  <Route path="part-numbers" element={<PartNumbersListPage />} />
                  <Route path="part-numbers/new" element={<PartNumberCreatePage />} />
                  <Route path="part-numbers/:id" element={<PartNumberDetailPage />} />
                  <Route path="keys" element={<KeysPage />} />
                  <Route path="reports" element={<ProducerReportsPage />} />
                  <Route path="jobs" element={<JobsListPage />} />
                  <Route path="jobs/:id" element={<JobDetailPage />} />
                  <Route path="outbox" element={<OutboxListPage />} />
                  <Route path="outbox/:id" element={<OutboxDetailPage />} />
                  <Route path="audit" element={<AuditPage />} />
                  <Route path="events" element={<EventsPage />} />
                  <Route path="settings" element={<Navigate to="/settings/partner-tiers" replace />} />
                  <Route path="settings/:tab" element={<SettingsPage />} />
                  <Route path="*" element={<NotFoundPage home="/" />} />
                </Route>
              </Route>
            </Routes>
          </Suspense>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
