import { Anchor, Card, Group, SimpleGrid, Text, ThemeIcon, Title } from "@mantine/core";
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
import type { ReactNode } from "react";
import { Link, useNavigate } from "react-router-dom";
import { useSession } from "../auth/session";
import { usePageTitle } from "../lib/pageTitle";

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
