import { Anchor, Badge, Card, Group, Loader, SimpleGrid, Stack, Text, ThemeIcon, Title } from "@mantine/core";
import {
  IconAddressBook,
  IconCertificate,
  IconHistory,
  IconKey,
  IconListDetails,
  IconPackage,
  IconStack2,
  IconTag,
  IconUsers,
} from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { lazy, type ReactNode, Suspense } from "react";
import { Link, useNavigate } from "react-router-dom";
import { type Overview, reportsApi } from "../api/reports";
import { useSession } from "../auth/session";
import { Figure } from "../components/Figure";
import { usePageTitle } from "../lib/pageTitle";

// The chart library downloads only when the figures are there to draw (web/src/reports/).
const RedemptionsPerDayChart = lazy(() => import("../reports/ReportCharts").then((m) => ({ default: m.RedemptionsPerDayChart })));

const TILES: { to: string; title: string; text: string; icon: ReactNode }[] = [
  {
    to: "/entitlements",
    title: "Entitlements",
    text: "What customers bought: simple and bulk entitlements, line items, states.",
    icon: <IconCertificate size={20} />,
  },
  { to: "/accounts", title: "Accounts", text: "Customers and channel partners.", icon: <IconAddressBook size={20} /> },
  { to: "/users", title: "Users", text: "Staff and portal users, roles, passwords.", icon: <IconUsers size={20} /> },
  { to: "/products", title: "Products", text: "Products, versions and their features.", icon: <IconPackage size={20} /> },
  {
    to: "/license-models",
    title: "License Models",
    text: "Node-locked and floating models, policies.",
    icon: <IconStack2 size={20} />,
  },
  { to: "/part-numbers", title: "Part Numbers", text: "SKUs your ERP sends with orders.", icon: <IconTag size={20} /> },
  {
    to: "/keys",
    title: "Keys",
    text: "Web register keys of bulk entitlements: load, generate, export, print.",
    icon: <IconKey size={20} />,
  },
  {
    to: "/jobs",
    title: "Jobs",
    text: "Key imports and generation running in the background.",
    icon: <IconListDetails size={20} />,
  },
  { to: "/audit", title: "Audit", text: "Every change, who made it and when.", icon: <IconHistory size={20} /> },
];

export function HomePage() {
  usePageTitle("Home");
  const s = useSession();
  const navigate = useNavigate();
  // The tiles are not links themselves: a link named "Products …" would clash with the menu's
  // "Products" for getByRole("link", { name: "Products" }). Each has a small "Open" link instead.
  return (
    <>
      <Title order={2} fw={600} mb={4}>
        Welcome{s.user.firstName ? `, ${s.user.firstName}` : ""}
      </Title>
      <Text c="dimmed" mb="lg">
        Record what your customers bought, sell through channel partners with bulk entitlements, and manage your catalog, accounts
        and users.
      </Text>
      <Figures />
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
        {TILES.map((t) => (
          <Card key={t.to} withBorder radius="md" padding="lg" onClick={() => navigate(t.to)} style={{ cursor: "pointer" }}>
            <Group wrap="nowrap" align="flex-start">
              <ThemeIcon variant="light" size={38} radius="md">
                {t.icon}
              </ThemeIcon>
              <div>
                <Text fw={600}>{t.title}</Text>
                <Text size="sm" c="dimmed">
                  {t.text}
                </Text>
                <Anchor component={Link} to={t.to} size="sm" onClick={(e) => e.stopPropagation()}>
                  Open
                </Anchor>
              </div>
            </Group>
          </Card>
        ))}
      </SimpleGrid>
    </>
  );
}

const fmt = (n: number) => n.toLocaleString("en-US");

const trend = (before: number) => `${fmt(before)} the week before`;

/** The figures that matter (GET /reports/overview): entitlements by state, keys this week, jobs, outbox. */
function Figures() {
  const { data } = useQuery({ queryKey: ["reports", "overview"], queryFn: () => reportsApi.overview(), staleTime: 30_000 });
  if (!data) return <Loader aria-label="Loading figures" mb="lg" />;
  return <FiguresView o={data} />;
}

function FiguresView({ o }: { o: Overview }) {
  const byState = new Map<string, number>();
  for (const e of o.entitlements) byState.set(e.state, (byState.get(e.state) ?? 0) + e.count);
  const total = [...byState.values()].reduce((a, b) => a + b, 0);
  return (
    <Stack gap="md" mb="xl" data-testid="home-figures">
      <SimpleGrid cols={{ base: 2, md: 4 }}>
        <Figure
          label="Entitlements"
          value={fmt(total)}
          hint={
            <Group gap={4} component="span">
              {[...byState.entries()].map(([state, n]) => (
                <Badge key={state} size="xs" variant="light" component="span">
                  {state.toLowerCase()} {fmt(n)}
                </Badge>
              ))}
            </Group>
          }
        />
        <Figure
          label="Keys redeemed this week"
          value={fmt(o.keys.redeemed.thisWeek)}
          hint={`${trend(o.keys.redeemed.previousWeek)} · ${fmt(o.keys.redeemed.total)} in all`}
        />
        <Figure
          label="Keys loaded this week"
          value={fmt(o.keys.loaded.thisWeek)}
          hint={`${trend(o.keys.loaded.previousWeek)} · ${fmt(o.keys.loaded.total)} in all`}
        />
        <Figure
          label="Jobs"
          value={`${fmt(o.jobs.running)} running`}
          hint={`${fmt(o.jobs.queued)} queued · ${fmt(o.jobs.failed24h)} failed in 24 h`}
        />
        <Figure label="Licenses this week" value={fmt(o.licensesThisWeek)} hint={`since ${o.weekStart}`} />
        <Figure label="Emails not sent" value={fmt(o.emailsNotSent)} />
      </SimpleGrid>
      <Card withBorder radius="md" padding="md">
        <Text fw={600} mb="xs">
          Keys redeemed per day, last 30 days
        </Text>
        <Suspense fallback={<Loader aria-label="Loading chart" />}>
          <RedemptionsPerDayChart days={o.redemptionsPerDay} />
        </Suspense>
      </Card>
    </Stack>
  );
}
