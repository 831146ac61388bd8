import { Button, Stack, Text, Title } from "@mantine/core";
import { Link } from "react-router-dom";
import { usePageTitle } from "../lib/pageTitle";

export function NotFoundPage({ home }: { home: string }) {
  usePageTitle("Page not found");
  return (
    <Stack align="center" py={80} gap="sm">
      <Title order={2}>Page not found</Title>
      <Text c="dimmed">There is nothing at this address.</Text>
      <Button component={Link} to={home} variant="light">
        Go to the start page
      </Button>
    </Stack>
  );
}
