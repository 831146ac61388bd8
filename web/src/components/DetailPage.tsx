import { Loader } from "@mantine/core";
import { type QueryKey, useQuery } from "@tanstack/react-query";
import { type ReactElement, type ReactNode, useState } from "react";
import { LoadError } from "./FormErrors";
import { PageHeader } from "./Page";

export interface Crumb {
  label: string;
  to: string;
}

/**
 * What every producer detail page does before showing its object: load it, show a loader, a load
 * error under the list's breadcrumb, or the edit form in place of the page. `element` is what to
 * render instead of the page's own view; when it is null the object is loaded and not being edited.
 */
export type DetailPage<T> =
  | { element: ReactElement; object: T | undefined }
  | { element: null; object: T; edit: () => void; crumbs: Crumb[] };

export function useDetailPage<T>(opts: {
  queryKey: QueryKey;
  load: () => Promise<T>;
  /** The list page, the first breadcrumb. */
  list: Crumb;
  /** The page title when the object cannot be loaded, and how the error names it ("the user"). */
  title: string;
  what: string;
  /** The title and the object's own breadcrumb while its form is open. */
  editTitle: (o: T) => ReactNode;
  crumb: (o: T) => Crumb;
  form: (o: T, done: () => void) => ReactNode;
}): DetailPage<T> {
  const [editing, setEditing] = useState(false);
  const { data, error, isLoading } = useQuery({ queryKey: opts.queryKey, queryFn: opts.load });
  const crumbs = [opts.list];
  if (isLoading) return { element: <Loader />, object: data };
  if (error || data === undefined)
    return {
      element: (
        <>
          <PageHeader title={opts.title} crumbs={crumbs} />
          <LoadError error={error} what={opts.what} />
        </>
      ),
      object: data,
    };
  if (editing) {
    const done = () => setEditing(false);
    return {
      element: (
        <>
          <PageHeader title={opts.editTitle(data)} crumbs={[...crumbs, opts.crumb(data)]} />
          {opts.form(data, done)}
        </>
      ),
      object: data,
    };
  }
  return { element: null, object: data, edit: () => setEditing(true), crumbs };
}
