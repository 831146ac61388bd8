import { Readable } from "node:stream";
import { stringify } from "csv-stringify/sync";

/** One web register key as exported (PRODUCT.md §3: "exportable (CSV …)"). Timestamps are ISO-8601 UTC. */
export interface KeyExportRow {
  key: string;
  status: string;
  createdAt: string;
  redeemedAt: string | null;
  redeemedBy: string | null;
  soldTo: string | null;
  owner: string | null;
  entitlementId: string | null;
}

export const KEY_CSV_COLUMNS = [
  "key",
  "status",
  "created_at",
  "redeemed_at",
  "redeemed_by",
  "sold_to",
  "owner",
  "entitlement_id",
] as const;

/**
 * A spreadsheet runs a cell starting with one of these as a formula or a DDE call (CSV injection,
 * OWASP): `= + - @`, `|`, tab and carriage return. A leading apostrophe makes it text.
 */
const FORMULA_START = /^[=+\-@|\t\r]/;

/** A cell value made safe to open in a spreadsheet: every column goes through this. */
export function guardFormula(value: string | null): string {
  if (value === null) return "";
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/**
 * The keys as CSV (comma-separated, `\n` line ends, quoted only where needed), header first,
 * streamed batch by batch as the reader pulls, so a million keys never sit in memory.
 *
 * Every column, `key` and `entitlement_id` included, is guarded against formula injection with
 * `guardFormula`: a loaded key may start with `-` or `+` (`-2+3` is a formula to a spreadsheet), so
 * such a key is written `'-2+3`, which a spreadsheet shows as the key itself. Generated keys and
 * IDs never start with one of those characters and are written unchanged.
 *
 * `bom: true` starts the file with a UTF-8 byte order mark, which Excel needs to read non-ASCII
 * names correctly. Destroying the returned stream stops reading `rows`; an error from `rows`
 * destroys the stream with that error.
 */
export function keysCsv(rows: AsyncIterable<KeyExportRow[]>, opts: { bom?: boolean } = {}): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield `${opts.bom ? "\uFEFF" : ""}${KEY_CSV_COLUMNS.join(",")}\n`;
    for await (const batch of rows) {
      if (batch.length === 0) continue;
      const records: string[][] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i] as KeyExportRow;
        records[i] = [
          guardFormula(r.key),
          guardFormula(r.status),
          guardFormula(r.createdAt),
          guardFormula(r.redeemedAt),
          guardFormula(r.redeemedBy),
          guardFormula(r.soldTo),
          guardFormula(r.owner),
          guardFormula(r.entitlementId),
        ];
      }
      yield stringify(records);
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
