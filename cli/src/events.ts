import type { Command } from "commander";
import { loadConfig } from "../../server/src/config.js";
import { migrateToLatest, openDatabase } from "../../server/src/db/connect.js";
import { EVENT_STREAM_START, eventsAfter, positionOf } from "../../server/src/db/repos/events.js";
import { eventTypesOf, parseStreamCursor, streamCursor } from "../../server/src/domain/eventQuery.js";
import { presentDomainEvent } from "../../server/src/presenters/events.js";

/**
 * `licensor events list`: the domain event stream (docs/EVENTS.md) read from the database named by
 * the environment, oldest first in commit order, like GET /api/v1/events — the same filters and
 * the same cursors, so `--after` takes a `nextCursor` of the API and the API takes this one's.
 */
export function registerEventCommands(program: Command): void {
  const events = program.command("events").description("Read the domain event stream (what webhooks deliver)");
  events
    .command("list")
    .description("List events oldest first; prints the cursor to continue from with --after")
    .option("-t, --type <type>", "an event type (key.redeemed), a subject's (entitlement.*), or several comma-separated")
    .option("-e, --entitlement <id>", "only events concerning this entitlement (Licensor id)")
    .option("-a, --after <cursor>", "continue after this cursor (nextCursor of the API or of a previous list)")
    .option("-n, --limit <n>", "at most this many events", "100")
    .option("--json", "print the page as the API's JSON ({items, nextCursor})")
    .action(async (opts: { type?: string; entitlement?: string; after?: string; limit: string; json?: boolean }) => {
      const limit = Number(opts.limit);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) throw new Error("--limit: a whole number from 1 to 10000");
      // A bad filter or cursor is refused by name before the database is opened.
      const types = eventTypesOf(opts.type, "--type");
      const from = opts.after ? parseStreamCursor(opts.after, "--after") : EVENT_STREAM_START;
      const config = loadConfig();
      const h = openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
      try {
        await migrateToLatest(h.db);
        const rows = await eventsAfter(h.db, from, limit, { types, entitlementId: opts.entitlement });
        const last = rows.at(-1);
        const nextCursor = streamCursor(last ? positionOf(last) : from);
        const items = rows.map(presentDomainEvent);
        if (opts.json) {
          console.log(JSON.stringify({ items, nextCursor }, null, 2));
          return;
        }
        for (const e of items)
          console.log(
            `${e.occurredAt}  ${e.type.padEnd(26)} ${e.subject.type}:${e.subject.id}  ${e.id}  ${JSON.stringify(e.data)}`,
          );
        console.log(`${items.length} event${items.length === 1 ? "" : "s"}; continue with --after ${nextCursor}`);
      } finally {
        await h.close();
      }
    });
}
