import { Anchor, Badge, Box, Drawer, Group, Loader, Stack, Text, ThemeIcon, Timeline } from "@mantine/core";
import {
  IconArrowsExchange,
  IconArrowUp,
  IconCircleDot,
  IconPlus,
  IconPoint,
  IconRefresh,
  IconTargetArrow,
} from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { keys } from "../../api/endpoints";
import { type LineageEntry, lifecycleApi } from "../../api/lifecycle";
import { LoadError } from "../../components/FormErrors";
import { StateBadge } from "../../components/Page";
import { humanize } from "../../lib/labels";
import { entitlementPath } from "./model";

/** How a line item came from its parent, as a badge: RENEWAL, UPGRADE, UPSELL, TRANSFER (or ORIGINAL for a root). */
export const RELATION_COLORS: Record<string, string> = {
  RENEWAL: "teal",
  UPGRADE: "violet",
  UPSELL: "blue",
  TRANSFER: "orange",
  DERIVED: "gray",
  ORIGINAL: "gray",
};

const RELATION_ICONS: Record<string, typeof IconRefresh> = {
  RENEWAL: IconRefresh,
  UPGRADE: IconArrowUp,
  UPSELL: IconPlus,
  TRANSFER: IconArrowsExchange,
};

/** The kind of step that made this line item (the server's relation; a root shows its own type, or ORIGINAL). */
export function relationOf(entry: Pick<LineageEntry, "relation" | "lineItemType" | "parentLineItemId">): string {
  return entry.relation ?? entry.lineItemType ?? "ORIGINAL";
}

export function RelationBadge({ relation }: { relation: string }) {
  return (
    <Badge size="sm" radius="sm" variant="light" color={RELATION_COLORS[relation] ?? "gray"} data-testid="lineage-relation">
      {relation}
    </Badge>
  );
}

const PARENT_WORDS: Record<string, string> = {
  RENEWAL: "renewal of",
  UPGRADE: "upgrade of",
  UPSELL: "upsell of",
  TRANSFER: "transferred from",
};

const copiesWords = (n: number) => `${n} ${n === 1 ? "copy" : "copies"}`;

function Entry({
  entry,
  self,
  parent,
  onNavigate,
}: {
  entry: LineageEntry;
  self: boolean;
  parent: LineageEntry | undefined;
  onNavigate: () => void;
}) {
  return (
    <Stack gap={4}>
      <Group gap={6} wrap="wrap">
        <RelationBadge relation={relationOf(entry)} />
        <Text ff="monospace" size="sm" fw={600}>
          {entry.activationId}
        </Text>
        {self && (
          <Badge size="sm" radius="sm" color="indigo" variant="filled">
            This line item
          </Badge>
        )}
      </Group>
      <Text size="sm">
        Entitlement{" "}
        <Anchor component={Link} to={entitlementPath(entry.entitlement.id)} size="sm" ff="monospace" onClick={onNavigate}>
          {entry.entitlement.entitlementId}
        </Anchor>{" "}
        <Text span size="xs" c="dimmed">
          ({humanize(entry.entitlement.state)})
        </Text>
      </Text>
      <Group gap={8}>
        <StateBadge state={entry.state} />
        <Text size="sm" data-testid="lineage-copies">
          {copiesWords(entry.numberOfCopies)}
        </Text>
        <Text size="sm" c="dimmed">
          · {formatFulfilled(entry.fulfilledCount)}
        </Text>
      </Group>
      {parent && (
        <Text size="xs" c="dimmed" data-testid="lineage-parent">
          {PARENT_WORDS[relationOf(entry)] ?? "from"}{" "}
          <Text span ff="monospace" inherit>
            {parent.activationId}
          </Text>
          {parent.entitlement.id !== entry.entitlement.id && ` on entitlement ${parent.entitlement.entitlementId}`}
        </Text>
      )}
    </Stack>
  );
}

const formatFulfilled = (n: number) => (n === 0 ? "none fulfilled" : `${n} fulfilled`);

/**
 * A drawer with the lineage of one line item as a vertical timeline: its ancestors from the root,
 * the line item itself, then its descendants (renewals, upgrades, upsells, transfers) breadth
 * first, each with its type, activation ID, entitlement (a link), state and copies.
 */
export function LineageDrawer({
  entitlementPk,
  lineItem,
  onClose,
}: {
  entitlementPk: string;
  lineItem: { id: string; activationId: string } | null;
  onClose: () => void;
}) {
  const { data, error, isLoading } = useQuery({
    queryKey: [...keys.entitlements, "lineage", entitlementPk, lineItem?.id ?? ""],
    queryFn: () => lifecycleApi.lineage(entitlementPk, lineItem?.id ?? ""),
    enabled: !!lineItem,
  });
  const title = lineItem ? `Lineage of line item ${lineItem.activationId}` : "Lineage";
  let body: React.ReactNode = null;
  if (isLoading) body = <Loader size="sm" />;
  else if (error) body = <LoadError error={error} what="the lineage" />;
  else if (data) {
    // Root first: the server lists ancestors parent first.
    const chain: LineageEntry[] = [...data.ancestors].reverse();
    const all = [...chain, data.lineItem, ...data.descendants];
    const byId = new Map(all.map((x) => [x.id, x]));
    const nothing = data.ancestors.length === 0 && data.descendants.length === 0;
    body = (
      <Stack>
        <Text size="sm" c="dimmed">
          {nothing
            ? "This line item was not renewed, upgraded, upsold or transferred, and did not come from another line item."
            : `${data.ancestors.length} ${data.ancestors.length === 1 ? "ancestor" : "ancestors"} and ${data.descendants.length} ${data.descendants.length === 1 ? "descendant" : "descendants"}. Renewals, upgrades and upsells stay on their entitlement; a transfer moves to a new one.`}
        </Text>
        <Timeline active={all.length - 1} bulletSize={26} lineWidth={2} data-testid="lineage">
          {all.map((entry) => {
            const self = entry.id === data.lineItem.id;
            const relation = relationOf(entry);
            const Icon = self
              ? IconTargetArrow
              : (RELATION_ICONS[relation] ?? (entry.parentLineItemId ? IconPoint : IconCircleDot));
            const parent = entry.parentLineItemId ? byId.get(entry.parentLineItemId) : undefined;
            // Descendants name their parent (siblings and grandchildren follow each other breadth first).
            const descendant = data.descendants.includes(entry);
            return (
              <Timeline.Item
                key={entry.id}
                color={self ? "indigo" : (RELATION_COLORS[relation] ?? "gray")}
                bullet={
                  <ThemeIcon size={26} radius="xl" color={self ? "indigo" : (RELATION_COLORS[relation] ?? "gray")}>
                    <Icon size={14} />
                  </ThemeIcon>
                }
                data-testid={self ? "lineage-self" : "lineage-entry"}
                data-activation-id={entry.activationId}
              >
                <Box
                  p={self ? 8 : 0}
                  style={
                    self ? { background: "var(--mantine-color-indigo-0)", borderRadius: "var(--mantine-radius-sm)" } : undefined
                  }
                >
                  <Entry entry={entry} self={self} parent={descendant ? parent : undefined} onNavigate={onClose} />
                </Box>
              </Timeline.Item>
            );
          })}
        </Timeline>
      </Stack>
    );
  }
  return (
    <Drawer opened={!!lineItem} onClose={onClose} title={title} position="right" size="md">
      {body}
    </Drawer>
  );
}
