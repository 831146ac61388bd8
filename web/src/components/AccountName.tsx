import { Anchor, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router-dom";
import { accountsApi, keys } from "../api/endpoints";

/** An account ID shown as a link with the account's name (looked up and cached). */
export function AccountLink({ id, link = true }: { id: string; link?: boolean }) {
  const { data } = useQuery({
    queryKey: [...keys.accounts, "detail", id],
    queryFn: () => accountsApi.get(id),
    staleTime: 60_000,
    retry: false,
  });
  const text = data ? `${data.name} (${id})` : id;
  if (!link) return <Text span>{text}</Text>;
  return (
    <Anchor component={Link} to={`/accounts/${encodeURIComponent(id)}`} size="sm">
      {text}
    </Anchor>
  );
}
