import { Badge, Group, Loader, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { accountsApi, keys } from "../api/endpoints";
import { useSession } from "../auth/session";
import { LoadError } from "../components/FormErrors";
import { InfoGrid, PageHeader, Section } from "../components/Page";
import { ACCOUNT_TYPE_LABELS, roleLabel } from "../lib/labels";

export function PortalAccountPage() {
  const s = useSession();
  const { data, error, isLoading } = useQuery({
    queryKey: [...keys.accounts, "mine"],
    queryFn: () => accountsApi.list({ limit: 50 }),
  });
  return (
    <>
      <PageHeader title="My account" description={`Logged in as ${s.user.firstName} ${s.user.lastName} (${s.user.email}).`} />
      {isLoading && <Loader />}
      {error && <LoadError error={error} what="your account" />}
      <Stack>
        {data?.items.map((a) => {
          const roles = s.user.memberships.filter((m) => m.accountId === a.id).map((m) => roleLabel(m.role));
          const addr = a.address;
          return (
            <Section
              key={a.id}
              title={
                <Group gap="sm">
                  {a.name}
                  <Badge variant="light" radius="sm">
                    {ACCOUNT_TYPE_LABELS[a.type]}
                  </Badge>
                </Group>
              }
            >
              <InfoGrid
                items={[
                  { label: "Account ID", value: a.id },
                  { label: "Your role", value: roles.join(", ") },
                  { label: "Description", value: a.description },
                  { label: "Address", value: [addr.address1, addr.address2].filter(Boolean).join(", ") },
                  { label: "City", value: [addr.zipcode, addr.city].filter(Boolean).join(" ") },
                  { label: "State / province", value: addr.state },
                  { label: "Country", value: addr.country },
                  { label: "Region", value: addr.region },
                ]}
              />
            </Section>
          );
        })}
        {data && data.items.length === 0 && (
          <Text c="dimmed" size="sm">
            You do not belong to any account yet.
          </Text>
        )}
      </Stack>
    </>
  );
}
