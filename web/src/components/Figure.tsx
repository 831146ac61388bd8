import { Paper, Text } from "@mantine/core";
import type { ReactNode } from "react";

/**
 * One figure of a dashboard (the producer's home, a report): a label, the value, a hint below.
 * Not a link: a link named "Jobs" would clash with the menu's.
 */
export function Figure({ label, value, hint }: { label: string; value: ReactNode; hint?: ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="xl" fw={700}>
        {value}
      </Text>
      {hint && (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      )}
    </Paper>
  );
}
