import { ActionIcon, Box, Button, Group, Loader, Paper, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconChevronDown, IconChevronLeft, IconChevronRight, IconSearch, IconX } from "@tabler/icons-react";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Fragment, type ReactNode, useEffect, useLayoutEffect, useRef, useState } from "react";
import type { Page } from "../../../common/src/api/shared";
import type { QueryParams } from "../api/client";
import { LoadError } from "./FormErrors";

export const PAGE_SIZE = 25;

export interface PagedList<T> {
  items: T[];
  isLoading: boolean;
  isFetching: boolean;
  error: unknown;
  page: number;
  hasPrev: boolean;
  hasNext: boolean;
  next: () => void;
  prev: () => void;
}

/**
 * Keyset paging over a list endpoint: keeps the stack of cursors that led to the current page, so
 * "Previous" walks back and any change of the filters starts again at page one.
 */
export function usePagedList<T>(
  resource: readonly string[],
  fetcher: (q: QueryParams) => Promise<Page<T>>,
  params: QueryParams,
  opts: {
    pageSize?: number;
    enabled?: boolean;
    /** Refetch the page every so often, decided from the page shown (e.g. while a job runs). */
    refetchInterval?: (page: Page<T> | undefined) => number | false;
  } = {},
): PagedList<T> {
  const pageSize = opts.pageSize ?? PAGE_SIZE;
  const paramsKey = JSON.stringify(params);
  const [state, setState] = useState<{ key: string; stack: (string | null)[] }>({ key: paramsKey, stack: [null] });
  const stack = state.key === paramsKey ? state.stack : [null];
  const cursor = stack[stack.length - 1] ?? null;
  const query = useQuery({
    queryKey: [...resource, "list", params, cursor, pageSize],
    queryFn: () => fetcher({ ...params, limit: pageSize, cursor: cursor ?? undefined }),
    placeholderData: keepPreviousData,
    enabled: opts.enabled ?? true,
    refetchInterval: opts.refetchInterval ? (q) => opts.refetchInterval?.(q.state.data) ?? false : undefined,
  });
  const nextCursor = query.data?.nextCursor ?? null;
  return {
    items: query.data?.items ?? [],
    isLoading: query.isLoading,
    isFetching: query.isFetching,
    error: query.error,
    page: stack.length,
    hasPrev: stack.length > 1,
    hasNext: !!nextCursor && !query.isPlaceholderData,
    next: () => nextCursor && setState({ key: paramsKey, stack: [...stack, nextCursor] }),
    prev: () => setState({ key: paramsKey, stack: stack.length > 1 ? stack.slice(0, -1) : [null] }),
  };
}

/** A search box that reports its text after the user pauses typing. */
export function SearchInput({
  onSearch,
  placeholder = "Search",
  initial = "",
}: {
  onSearch: (q: string) => void;
  placeholder?: string;
  initial?: string;
}) {
  const [value, setValue] = useState(initial);
  const [debounced] = useDebouncedValue(value.trim(), 300);
  // biome-ignore lint/correctness/useExhaustiveDependencies: report only when the debounced text changes
  useEffect(() => onSearch(debounced), [debounced]);
  return (
    <TextInput
      aria-label="Search"
      placeholder={placeholder}
      value={value}
      onChange={(e) => setValue(e.currentTarget.value)}
      leftSection={<IconSearch size={16} />}
      rightSection={
        value ? (
          <ActionIcon variant="subtle" color="gray" size="sm" aria-label="Clear search" onClick={() => setValue("")}>
            <IconX size={14} />
          </ActionIcon>
        ) : null
      }
      w={{ base: "100%", sm: 300 }}
    />
  );
}

export interface Column<T> {
  key: string;
  header: ReactNode;
  render: (row: T) => ReactNode;
  width?: number | string;
  align?: "left" | "right" | "center";
}

export function DataTable<T>({
  list,
  columns,
  rowKey,
  onRowClick,
  emptyText = "Nothing found.",
  search,
  filters,
  renderExpanded,
  what,
}: {
  list: PagedList<T>;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  onRowClick?: (row: T) => void;
  emptyText?: ReactNode;
  search?: { onSearch: (q: string) => void; placeholder?: string };
  filters?: ReactNode;
  renderExpanded?: (row: T) => ReactNode;
  what?: string;
}) {
  const [expanded, setExpanded] = useState<string | null>(null);
  const colCount = columns.length + (renderExpanded ? 1 : 0);
  return (
    <Paper withBorder radius="md">
      {(search || filters) && (
        <Group p="sm" gap="sm" align="flex-end" wrap="wrap" style={{ borderBottom: "1px solid var(--mantine-color-gray-3)" }}>
          {search && <SearchInput onSearch={search.onSearch} placeholder={search.placeholder} />}
          {filters}
          {list.isFetching && !list.isLoading && <Loader size="xs" ml="auto" aria-label="Refreshing" />}
        </Group>
      )}
      {list.error ? (
        <Box p="md">
          <LoadError error={list.error} what={what} />
        </Box>
      ) : (
        <Table.ScrollContainer minWidth={600} className="stack-on-phone">
          <Table highlightOnHover={!!onRowClick || !!renderExpanded} verticalSpacing="xs" horizontalSpacing="md" fz="sm">
            <Table.Thead>
              <Table.Tr>
                {renderExpanded && <Table.Th w={36} />}
                {columns.map((c) => (
                  <Table.Th key={c.key} w={c.width} style={{ textAlign: c.align }}>
                    {c.header}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {list.isLoading && (
                <Table.Tr>
                  <Table.Td colSpan={colCount}>
                    <Group justify="center" p="md">
                      <Loader size="sm" />
                    </Group>
                  </Table.Td>
                </Table.Tr>
              )}
              {!list.isLoading && list.items.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={colCount}>
                    <Text c="dimmed" ta="center" py="lg" size="sm">
                      {emptyText}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              )}
              {list.items.map((row) => {
                const k = rowKey(row);
                const open = expanded === k;
                const toggle = () => setExpanded(open ? null : k);
                return (
                  <Fragment key={k}>
                    <Table.Tr
                      onClick={renderExpanded ? toggle : onRowClick ? () => onRowClick(row) : undefined}
                      style={{ cursor: onRowClick || renderExpanded ? "pointer" : undefined }}
                    >
                      {renderExpanded && (
                        <Table.Td>
                          <ActionIcon
                            variant="subtle"
                            color="gray"
                            size="sm"
                            aria-label={open ? "Hide details" : "Show details"}
                            aria-expanded={open}
                            onClick={(e) => {
                              e.stopPropagation();
                              toggle();
                            }}
                          >
                            {open ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
                          </ActionIcon>
                        </Table.Td>
                      )}
                      {columns.map((c) => (
                        <Table.Td
                          key={c.key}
                          style={{ textAlign: c.align }}
                          data-label={typeof c.header === "string" ? c.header : undefined}
                        >
                          {c.render(row)}
                        </Table.Td>
                      ))}
                    </Table.Tr>
                    {renderExpanded && open && (
                      <Table.Tr>
                        <Table.Td colSpan={colCount} bg="gray.0">
                          {renderExpanded(row)}
                        </Table.Td>
                      </Table.Tr>
                    )}
                  </Fragment>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Pager list={list} />
    </Paper>
  );
}

/**
 * A table written by hand that, like DataTable, becomes a list of cards on a phone
 * (`.stack-on-phone` in styles.css): each body cell is labelled with its column's header.
 */
export function StackOnPhone({ minWidth, children }: { minWidth: number; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  // After every render: rows come and go with the data, and their cells need their labels.
  useLayoutEffect(() => {
    for (const table of ref.current?.querySelectorAll("table") ?? []) {
      const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim() ?? "");
      for (const row of table.querySelectorAll("tbody tr"))
        [...row.children].forEach((cell, i) => {
          const label = headers[i];
          if (label) cell.setAttribute("data-label", label);
          else cell.removeAttribute("data-label");
        });
    }
  });
  return (
    <Table.ScrollContainer minWidth={minWidth} className="stack-on-phone" ref={ref}>
      {children}
    </Table.ScrollContainer>
  );
}

export function Pager({ list }: { list: PagedList<unknown> }) {
  if (!list.hasPrev && !list.hasNext) return null;
  return (
    <Group justify="flex-end" gap="xs" p="sm" style={{ borderTop: "1px solid var(--mantine-color-gray-3)" }}>
      <Text size="sm" c="dimmed" mr="xs">
        Page {list.page}
      </Text>
      <Button
        variant="default"
        size="xs"
        leftSection={<IconChevronLeft size={14} />}
        disabled={!list.hasPrev}
        onClick={list.prev}
      >
        Previous
      </Button>
      <Button
        variant="default"
        size="xs"
        rightSection={<IconChevronRight size={14} />}
        disabled={!list.hasNext}
        onClick={list.next}
      >
        Next page
      </Button>
    </Group>
  );
}
