import { Anchor, Badge, Box, Breadcrumbs, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { IconHistory } from "@tabler/icons-react";
import { isValidElement, type ReactNode } from "react";
import { Link } from "react-router-dom";
import { humanize } from "../lib/labels";
import { usePageTitle } from "../lib/pageTitle";

export { usePageTitle };

/** The words of a title, whatever markup wraps them (a monospaced ID, say). */
function textOf(node: ReactNode): string {
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (Array.isArray(node)) return node.map(textOf).join("");
  if (isValidElement<{ children?: ReactNode }>(node)) return textOf(node.props.children);
  return "";
}

/** Title row of a page: breadcrumbs, title, optional badge and the page's main actions; the tab title too. */
export function PageHeader({
  title,
  crumbs,
  badge,
  actions,
  description,
  tabTitle,
}: {
  title: ReactNode;
  crumbs?: { label: string; to: string }[];
  badge?: ReactNode;
  actions?: ReactNode;
  description?: ReactNode;
  /** The tab title when the title's own words are not it. */
  tabTitle?: string;
}) {
  usePageTitle(tabTitle ?? textOf(title).trim());
  return (
    <Stack gap={4} mb="lg">
      {crumbs && crumbs.length > 0 && (
        <Breadcrumbs separator="›" fz="sm">
          {crumbs.map((c) => (
            <Anchor key={c.to} component={Link} to={c.to} size="sm">
              {c.label}
            </Anchor>
          ))}
        </Breadcrumbs>
      )}
      <Group justify="space-between" align="center" wrap="wrap" gap="sm">
        <Group gap="sm" align="center">
          <Title order={2} fw={600}>
            {title}
          </Title>
          {badge}
        </Group>
        {actions && <Group gap="xs">{actions}</Group>}
      </Group>
      {description && (
        <Text c="dimmed" size="sm">
          {description}
        </Text>
      )}
    </Stack>
  );
}

const STATE_COLORS: Record<string, string> = {
  DRAFT: "gray",
  DEPLOYED: "green",
  OBSOLETE: "orange",
  ACTIVE: "green",
  INACTIVE: "gray",
  REVOKED: "red",
  EXPIRED: "orange",
};

/**
 * A state as a badge. It never narrows below its words: a Mantine badge clips its label with an
 * ellipsis, and a crowded table squeezed "Active" to "AC…" at 1366 px.
 */
export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={STATE_COLORS[state] ?? "blue"} variant="light" radius="sm" miw="max-content" style={{ flexShrink: 0 }}>
      {humanize(state)}
    </Badge>
  );
}

/** A titled white card grouping a section of a detail page. */
export function Section({ title, actions, children }: { title?: ReactNode; actions?: ReactNode; children: ReactNode }) {
  return (
    <Paper withBorder radius="md" p="md">
      {(title || actions) && (
        <Group justify="space-between" mb="sm">
          {title && (
            <Title order={4} fw={600}>
              {title}
            </Title>
          )}
          {actions && <Group gap="xs">{actions}</Group>}
        </Group>
      )}
      {children}
    </Paper>
  );
}

/** Label/value pairs of a detail page. */
export function InfoGrid({ items, cols = 3 }: { items: { label: string; value: ReactNode }[]; cols?: number }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, md: cols }} spacing="md" verticalSpacing="sm">
      {items.map((i) => (
        <Box key={i.label}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.3}>
            {i.label}
          </Text>
          <Box fz="sm" style={{ wordBreak: "break-word" }}>
            {i.value === null || i.value === undefined || i.value === "" || i.value === "—" ? <Text c="dimmed">—</Text> : i.value}
          </Box>
        </Box>
      ))}
    </SimpleGrid>
  );
}

/** Opens the audit log filtered to one object. */
export function HistoryButton({ objectType, objectId }: { objectType: string; objectId: string }) {
  return (
    <Button
      variant="subtle"
      color="gray"
      leftSection={<IconHistory size={16} />}
      component={Link}
      to={`/audit?objectType=${encodeURIComponent(objectType)}&objectId=${encodeURIComponent(objectId)}`}
    >
      History
    </Button>
  );
}
