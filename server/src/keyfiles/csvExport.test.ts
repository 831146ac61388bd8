import type { Readable } from "node:stream";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { guardFormula, type KeyExportRow, keysCsv } from "./csvExport.js";

const HEADER = "key,status,created_at,redeemed_at,redeemed_by,sold_to,owner,entitlement_id";

async function text(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function* batches(...b: KeyExportRow[][]): AsyncGenerator<KeyExportRow[]> {
  yield* b;
}

const row = (over: Partial<KeyExportRow> = {}): KeyExportRow => ({
  key: "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
  status: "UNREDEEMED",
  createdAt: "2025-01-02T03:04:05.000Z",
  redeemedAt: null,
  redeemedBy: null,
  soldTo: null,
  owner: null,
  entitlementId: null,
  ...over,
});

describe("keysCsv", () => {
  it("writes the header and one line per key, nulls as empty fields", async () => {
    const csv = await text(
      keysCsv(
        batches(
          [row()],
          [],
          [
            row({
              key: "K2",
              status: "REDEEMED",
              redeemedAt: "2025-02-01T00:00:00.000Z",
              redeemedBy: "ann@example.com",
              soldTo: "Globex",
              owner: "Ann Lee",
              entitlementId: "K2ENT",
            }),
          ],
        ),
      ),
    );
    expect(csv).toBe(
      `${HEADER}\n` +
        "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE,UNREDEEMED,2025-01-02T03:04:05.000Z,,,,,\n" +
        "K2,REDEEMED,2025-01-02T03:04:05.000Z,2025-02-01T00:00:00.000Z,ann@example.com,Globex,Ann Lee,K2ENT\n",
    );
  });

  it("quotes commas, quotes and line breaks so the file reads back exactly", async () => {
    const tricky = row({ soldTo: 'Acme, "Inc."', owner: "Line\nBreak", redeemedBy: "Zoë Ünal" });
    const csv = await text(keysCsv(batches([tricky])));
    expect(csv).toContain('"Acme, ""Inc."""');
    const [back] = parse(csv, { columns: true }) as Record<string, string>[];
    expect(back).toMatchObject({ sold_to: 'Acme, "Inc."', owner: "Line\nBreak", redeemed_by: "Zoë Ünal" });
  });

  it("guards every column against formula injection, keys and entitlement IDs too", async () => {
    const evil = row({
      key: "-12345-ABCDE",
      soldTo: '=HYPERLINK("http://evil","x")',
      owner: "+1 555 0100",
      redeemedBy: "@SUM(A1)",
      entitlementId: "+ENT-1",
    });
    const csv = await text(keysCsv(batches([evil, row({ key: "+K", owner: "-minus", soldTo: "\tTab" })])));
    const back = parse(csv, { columns: true }) as Record<string, string>[];
    expect(back[0]).toMatchObject({
      key: "'-12345-ABCDE",
      sold_to: '\'=HYPERLINK("http://evil","x")',
      owner: "'+1 555 0100",
      redeemed_by: "'@SUM(A1)",
      entitlement_id: "'+ENT-1",
    });
    expect(back[1]).toMatchObject({ key: "'+K", owner: "'-minus", sold_to: "'\tTab" });
    // Every formula-leading character (OWASP), not only some: = + - @ | tab CR.
    for (const c of ["=", "+", "-", "@", "|", "\t", "\r"])
      expect(guardFormula(`${c}cmd|' /C calc'!A0`)).toBe(`'${c}cmd|' /C calc'!A0`);
    expect(guardFormula("K|1")).toBe("K|1");
    expect(guardFormula("Plain")).toBe("Plain");
    expect(guardFormula("a=b")).toBe("a=b");
    expect(guardFormula(null)).toBe("");
  });

  it("starts with a BOM when asked (for Excel)", async () => {
    const csv = await text(keysCsv(batches([row()]), { bom: true }));
    expect(csv.startsWith(`\uFEFF${HEADER}\n`)).toBe(true);
    expect((await text(keysCsv(batches()))).startsWith(HEADER)).toBe(true);
  });

  it("streams 100,000 keys batch by batch, pulling only as the reader reads", async () => {
    let pulled = 0;
    async function* many(): AsyncGenerator<KeyExportRow[]> {
      for (let b = 0; b < 100; b++) {
        pulled++;
        yield Array.from({ length: 1000 }, (_, i) => row({ key: `KEY-${b * 1000 + i}`, owner: i % 2 ? "=x" : null }));
      }
    }
    const stream = keysCsv(many());
    // Read a little, then look at how much was pulled.
    const first = await new Promise<Buffer>((resolve) => stream.once("data", resolve));
    stream.pause();
    await new Promise((r) => setTimeout(r, 20));
    expect(first.toString()).toContain(HEADER);
    expect(pulled).toBeLessThan(10);
    stream.resume();
    const t0 = performance.now();
    let lines = 0;
    let lastChunk = "";
    for await (const c of stream) {
      const s = (c as Buffer).toString();
      for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) lines++;
      lastChunk = s;
    }
    const ms = performance.now() - t0;
    expect(pulled).toBe(100);
    expect(lines + first.toString().split("\n").length - 1).toBe(100_001);
    expect(lastChunk.trimEnd().split("\n").at(-1)).toBe("KEY-99999,UNREDEEMED,2025-01-02T03:04:05.000Z,,,,'=x,");
    expect(ms).toBeLessThan(10_000);
  });

  it("fails the stream when the rows fail, and stops pulling rows when destroyed", async () => {
    async function* broken(): AsyncGenerator<KeyExportRow[]> {
      yield [row()];
      throw new Error("database went away");
    }
    await expect(text(keysCsv(broken()))).rejects.toThrow("database went away");

    let closed = false;
    let pulled = 0;
    async function* endless(): AsyncGenerator<KeyExportRow[]> {
      try {
        for (;;) {
          pulled++;
          yield [row()];
        }
      } finally {
        closed = true;
      }
    }
    const stream = keysCsv(endless());
    await new Promise((resolve) => stream.once("data", resolve));
    stream.destroy();
    await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
    expect(pulled).toBeLessThan(100);
  });
});
