import {
  AppShell,
  Badge,
  Box,
  Burger,
  Button,
  Group,
  Loader,
  NavLink,
  ScrollArea,
  Text,
  ThemeIcon,
  Tooltip,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import {
  IconAddressBook,
  IconBolt,
  IconBuildingStore,
  IconCertificate,
  IconChartBar,
  IconHistory,
  IconHome,
  IconKey,
  IconLayoutDashboard,
  IconListDetails,
  IconLock,
  IconLogout,
  IconMail,
  IconPackage,
  IconSettings,
  IconStack2,
  IconTag,
  IconTicket,
  IconUsers,
} from "@tabler/icons-react";
import { type ReactNode, Suspense } from "react";
import { Link, Outlet, useLocation, useNavigate } from "react-router-dom";
import { sessionApi } from "../api/endpoints";
import { usePermissions, useSession, useSetSession } from "../auth/session";
import { VerifyEmailBanner } from "./VerifyEmailBanner";

function Brand({ subtitle, name = "Licensor" }: { subtitle?: string; name?: string }) {
  return (
    <Group gap={10} wrap="nowrap">
      <ThemeIcon size={30} radius="md" variant="filled">
        <IconCertificate size={18} />
      </ThemeIcon>
      <Box>
        <Text fw={700} size="md" lh={1.1} data-testid="brand-name">
          {name}
        </Text>
        {subtitle && (
          <Text size="xs" c="dimmed" lh={1.1}>
            {subtitle}
          </Text>
        )}
      </Box>
    </Group>
  );
}

/**
 * The partner and customer portals carry the producer's name (Settings > General): "Acme partner
 * portal", with "Licensor" beneath as the software's name once the producer has named itself.
 */
function PortalBrand({ producerName, kind }: { producerName: string | undefined; kind: "partner" | "customer" }) {
  const name = producerName ?? "Licensor";
  return <Brand name={`${name} ${kind} portal`} subtitle={name === "Licensor" ? undefined : "Licensor"} />;
}

function useLogout() {
  const setSession = useSetSession();
  const navigate = useNavigate();
  return async () => {
    try {
      await sessionApi.logout();
    } catch {
      // Logged out either way: the cookie is gone or already invalid.
    }
    setSession(null);
    navigate("/login", { replace: true });
  };
}

function UserBox() {
  const s = useSession();
  const logout = useLogout();
  return (
    <Group gap="sm" wrap="nowrap">
      <Text size="sm" c="dimmed" visibleFrom="xs" data-testid="current-user-email">
        {s.user.email}
      </Text>
      <Button variant="subtle" color="gray" size="compact-sm" leftSection={<IconLogout size={16} />} onClick={logout}>
        Log out
      </Button>
    </Group>
  );
}

interface MenuItem {
  label: string;
  to: string;
  icon: ReactNode;
  disabled?: boolean;
}

const COMING = "Coming in the next release";

/** FNO's menu: Entitlements, then the catalog and administration. */
const ENTITLEMENT_ITEMS: { label: string; to: string; create?: boolean }[] = [
  { label: "Create Simple", to: "/entitlements/new/simple", create: true },
  { label: "Create Bulk", to: "/entitlements/new/bulk", create: true },
  { label: "Create Test Bulk", to: "/entitlements/new/test-bulk", create: true },
  { label: "List Entitlements", to: "/entitlements" },
];

function MenuLink({ item, active, onNavigate }: { item: MenuItem; active: boolean; onNavigate: () => void }) {
  if (item.disabled) {
    return (
      <Tooltip label={COMING} position="right" withArrow openDelay={150}>
        <Box>
          <NavLink label={item.label} leftSection={item.icon} disabled aria-disabled="true" />
        </Box>
      </Tooltip>
    );
  }
  return (
    <NavLink
      component={Link}
      to={item.to}
      label={item.label}
      leftSection={item.icon}
      active={active}
      onClick={onNavigate}
      variant="light"
    />
  );
}

export function ProducerShell() {
  const perms = usePermissions();
  const [opened, { toggle, close }] = useDisclosure();
  const { pathname } = useLocation();
  const isActive = (to: string) => (to === "/" ? pathname === "/" : pathname === to || pathname.startsWith(`${to}/`));
  const main: MenuItem[] = [
    { label: "Licenses", to: "/licenses", icon: <IconCertificate size={18} /> },
    { label: "Accounts", to: "/accounts", icon: <IconAddressBook size={18} /> },
    { label: "Users", to: "/users", icon: <IconUsers size={18} /> },
    { label: "Products", to: "/products", icon: <IconPackage size={18} /> },
    { label: "License Models", to: "/license-models", icon: <IconStack2 size={18} /> },
    { label: "Part Numbers", to: "/part-numbers", icon: <IconTag size={18} /> },
    { label: "Keys", to: "/keys", icon: <IconKey size={18} /> },
    { label: "Reports", to: "/reports", icon: <IconChartBar size={18} /> },
    { label: "Jobs", to: "/jobs", icon: <IconListDetails size={18} /> },
    { label: "Outbox", to: "/outbox", icon: <IconMail size={18} /> },
    { label: "Audit", to: "/audit", icon: <IconHistory size={18} /> },
    { label: "Events", to: "/events", icon: <IconBolt size={18} /> },
    { label: "Settings", to: "/settings", icon: <IconSettings size={18} /> },
  ];
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="lg"
      bg="gray.0"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle menu" />
            <Link to="/" style={{ color: "inherit", textDecoration: "none" }}>
              <Brand subtitle="Producer portal" />
            </Link>
          </Group>
          <UserBox />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main menu">
        <AppShell.Section grow component={ScrollArea}>
          <NavLink
            component={Link}
            to="/"
            label="Home"
            leftSection={<IconHome size={18} />}
            active={isActive("/")}
            onClick={close}
            variant="light"
          />
          <NavLink label="Entitlements" leftSection={<IconTicket size={18} />} defaultOpened childrenOffset={28}>
            {/* Only admin and operations create entitlements. */}
            {ENTITLEMENT_ITEMS.filter((i) => !i.create || perms.isProducerWriter).map(({ label, to }) => (
              <MenuLink
                key={to}
                item={{ label, to, icon: null }}
                // The list stays highlighted on an entitlement's page, not on the create pages.
                active={to === "/entitlements" ? isActive(to) && !pathname.startsWith("/entitlements/new/") : pathname === to}
                onNavigate={close}
              />
            ))}
          </NavLink>
          {main.map((item) => (
            <MenuLink key={item.to} item={item} active={isActive(item.to)} onNavigate={close} />
          ))}
        </AppShell.Section>
        <AppShell.Section>
          <Text size="xs" c="dimmed" px="sm" py={6}>
            Licensor · entitlement back office
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <Box maw={1280} mx="auto">
          <Suspense fallback={<Loader aria-label="Loading" />}>
            <Outlet />
          </Suspense>
        </Box>
      </AppShell.Main>
    </AppShell>
  );
}

export function PortalShell() {
  const s = useSession();
  const perms = usePermissions();
  const { pathname } = useLocation();
  const items: MenuItem[] = [
    { label: "My Entitlements", to: "/portal/entitlements", icon: <IconTicket size={18} /> },
    { label: "My licenses", to: "/portal/licenses", icon: <IconCertificate size={18} /> },
    { label: "Register a key", to: "/portal/register-key", icon: <IconKey size={18} /> },
    { label: "My account", to: "/portal", icon: <IconBuildingStore size={18} /> },
    ...(perms.portalAdminAccountIds.length > 0 ? [{ label: "Users", to: "/portal/users", icon: <IconUsers size={18} /> }] : []),
    { label: "Password", to: "/portal/password", icon: <IconLock size={18} /> },
    // Partners visit these customer pages from their own portal: the way back.
    ...(s.portal === "partner" ? [{ label: "Partner portal", to: "/partner", icon: <IconLayoutDashboard size={18} /> }] : []),
  ];
  const isActive = (to: string) => (to === "/portal" ? pathname === "/portal" : pathname.startsWith(to));
  return (
    <MemberShell
      home="/portal"
      brand={<PortalBrand producerName={s.producerName} kind={perms.isPartner ? "partner" : "customer"} />}
      accountName={s.user.memberships[0]?.accountName}
      items={items}
      isActive={isActive}
      width={{ navbar: 220, main: 1100 }}
      banner={<VerifyEmailBanner />}
    />
  );
}

/**
 * The frame of the two non-producer portals: a header with the brand and the user's account, a
 * menu, and the page. Each portal passes its own menu and how a menu item is active.
 */
function MemberShell(props: {
  home: string;
  brand: ReactNode;
  accountName: string | undefined;
  items: MenuItem[];
  isActive: (to: string) => boolean;
  width: { navbar: number; main: number };
  banner?: ReactNode;
}) {
  const [opened, { toggle, close }] = useDisclosure();
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: props.width.navbar, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="lg"
      bg="gray.0"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle menu" />
            <Link to={props.home} style={{ color: "inherit", textDecoration: "none" }}>
              {props.brand}
            </Link>
            {props.accountName && (
              <Badge variant="light" color="gray" visibleFrom="md" radius="sm">
                {props.accountName}
              </Badge>
            )}
          </Group>
          <UserBox />
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main menu">
        {props.items.map((item) => (
          <MenuLink key={item.to} item={item} active={props.isActive(item.to)} onNavigate={close} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Box maw={props.width.main} mx="auto">
          {props.banner}
          <Suspense fallback={<Loader aria-label="Loading" />}>
            <Outlet />
          </Suspense>
        </Box>
      </AppShell.Main>
    </AppShell>
  );
}

/**
 * The channel partners' own portal (/partner): their bulk entitlements, keys, redemptions, related
 * accounts and users; the customer pages (simple entitlements, licenses) are linked, not copied.
 */
export function PartnerShell() {
  const s = useSession();
  const perms = usePermissions();
  const { pathname } = useLocation();
  const partnerAccount = s.user.memberships.find((m) => m.accountType === "CHANNEL_PARTNER");
  const items: MenuItem[] = [
    { label: "Bulk entitlements", to: "/partner", icon: <IconKey size={18} /> },
    { label: "Related accounts", to: "/partner/accounts", icon: <IconAddressBook size={18} /> },
    { label: "Reports", to: "/partner/reports", icon: <IconChartBar size={18} /> },
    ...(perms.portalAdminAccountIds.length > 0 ? [{ label: "Users", to: "/partner/users", icon: <IconUsers size={18} /> }] : []),
    { label: "My entitlements", to: "/portal/entitlements", icon: <IconTicket size={18} /> },
    { label: "My licenses", to: "/portal/licenses", icon: <IconCertificate size={18} /> },
    { label: "Password", to: "/partner/password", icon: <IconLock size={18} /> },
  ];
  const isActive = (to: string) =>
    to === "/partner" ? pathname === "/partner" || pathname.startsWith("/partner/entitlements") : pathname.startsWith(to);
  return (
    <MemberShell
      home="/partner"
      brand={<PortalBrand producerName={s.producerName} kind="partner" />}
      accountName={partnerAccount?.accountName}
      items={items}
      isActive={isActive}
      width={{ navbar: 230, main: 1200 }}
    />
  );
}
