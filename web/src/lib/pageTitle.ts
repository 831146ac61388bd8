import { useEffect } from "react";

/**
 * The browser tab's title while a page shows, "<title> · Licensor", so open tabs and the history
 * tell pages apart. Every page sets one: PageHeader from its title, other pages directly. (A module
 * of its own: the public pages use it without loading the portal's page components.)
 */
export function usePageTitle(title: string | null | undefined) {
  useEffect(() => {
    if (title) document.title = `${title} · Licensor`;
  }, [title]);
}
