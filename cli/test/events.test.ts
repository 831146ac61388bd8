import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { runCli, tempDir } from "../../e2e/harness.js";
import { openDatabase } from "../../server/src/db/connect.js";
import { recordEvents } from "../../server/src/db/repos/events.js";

/** `licensor events list`: the event stream from the local database, with the API's filters and cursors. */
describe("licensor events list", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it("pages the stream with --after, filters by --type, and refuses a bad filter by name", async () => {
    const dir = tempDir("licensor-cli-events-");
    dirs.push(dir);
    expect((await runCli(["migrate"], { LICENSOR_DATA_DIR: dir })).code).toBe(0);
    const h = openDatabase({ dataDir: dir });
    try {
      await h.db.transaction().execute((trx) =>
        recordEvents(trx, null, [
          { type: "account.created", subjectType: "account", subjectId: "A1", accountId: "A1", data: { account: { id: "A1" } } },
          { type: "job.finished", subjectType: "job", subjectId: "J1", data: { job: { id: "J1", state: "SUCCEEDED" } } },
          { type: "account.updated", subjectType: "account", subjectId: "A1", accountId: "A1", data: { changed: ["name"] } },
        ]),
      );
    } finally {
      await h.close();
    }
    const env = { LICENSOR_DATA_DIR: dir };
    const first = await runCli(["events", "list", "--limit", "2", "--json"], env);
    expect(first.code, first.stderr).toBe(0);
    const p1 = JSON.parse(first.stdout);
    expect(p1.items.map((e: { type: string }) => e.type)).toEqual(["account.created", "job.finished"]);
    const second = JSON.parse((await runCli(["events", "list", "--json", "--after", p1.nextCursor], env)).stdout);
    expect(second.items.map((e: { type: string }) => e.type)).toEqual(["account.updated"]);
    const end = await runCli(["events", "list", "--after", second.nextCursor], env);
    expect(end.stdout).toContain(`0 events; continue with --after ${second.nextCursor}`);
    const accounts = await runCli(["events", "list", "--type", "account.*"], env);
    expect(accounts.stdout).toMatch(/account\.created[\s\S]*account\.updated[\s\S]*2 events/);
    expect(accounts.stdout).not.toContain("job.finished");
    const bad = await runCli(["events", "list", "--type", "key.exploded"], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--type: 'key.exploded' is not an event type");
  });
});
