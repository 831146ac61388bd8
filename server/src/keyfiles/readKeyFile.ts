import { isUtf8 } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import { CsvError, Parser as CsvParser } from "csv-parse";
import { SaxesParser, type SaxesTagPlain } from "saxes";
import type { KeyRecord } from "../domain/keys.js";

/**
 * Streaming readers of web register key files (PRODUCT.md §3): FNO's UTF-8 XML
 * `<webregkeys><webregkey>K</webregkey>…</webregkeys>`, CSV with a `key` column, and plain text with
 * one key per line. The file is never held in memory: keys come out in batches of `batchSize`, each
 * with the 1-based line it was written on, so a load can name every bad line.
 *
 * The bytes must be UTF-8: a byte that is not (a Latin-1 "é", a truncated sequence) refuses the
 * file naming its line, instead of becoming U+FFFD in a stored key.
 *
 * Keys are returned as written, only trimmed. Checking characters, length and duplicates is the
 * caller's job (see `domain/ids.ts` and `domain/keyFormat.ts`); a reader only refuses a file it
 * cannot read, with a `KeyFileError` naming the line.
 */

export type KeyFileFormat = "xml" | "csv" | "text";

/** The file cannot be read as a key file; `line` is 1-based. */
export class KeyFileError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = "KeyFileError";
  }
}

/**
 * A single line (text), record (CSV) or key (XML) longer than this is not a key file: keys have
 * at most 255 characters. The limit keeps memory bounded on a file without line breaks.
 */
export const MAX_LINE_CHARS = 64 * 1024;

const UTF8_BOM = "\uFEFF";

/**
 * The format of a key file: by extension (.xml, .csv, .txt), otherwise by its first bytes — `<`
 * (after an optional BOM and whitespace) is XML; a first line with a `key` column is CSV (a
 * comma-separated header containing `key`, or a lone `key` header); anything else is plain text.
 */
export function detectFormat(fileName: string | undefined, head: Buffer): KeyFileFormat {
  const ext = fileName
    ?.trim()
    .toLowerCase()
    .match(/\.([a-z0-9]+)$/)?.[1];
  if (ext === "xml") return "xml";
  if (ext === "csv") return "csv";
  if (ext === "txt") return "text";
  let text = head.toString("utf8");
  if (text.startsWith(UTF8_BOM)) text = text.slice(1);
  if (text.trimStart().startsWith("<")) return "xml";
  const nl = text.indexOf("\n");
  const firstLine = nl === -1 ? text : text.slice(0, nl);
  const columns = firstLine.split(",").map((c) => unquote(c.trim()).trim().toLowerCase());
  return columns.includes("key") ? "csv" : "text";
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s;
}

/**
 * Reads a key file as a stream and yields its keys in batches of at most `batchSize` (the last one
 * may be shorter; no empty batches). Throws `KeyFileError` for a file that cannot be read. Stopping
 * the iteration early (break, return, throw) destroys a Node stream given as input.
 */
export async function* readKeyFile(
  input: NodeJS.ReadableStream | AsyncIterable<Buffer | string>,
  format: KeyFileFormat,
  batchSize = 10_000,
): AsyncGenerator<KeyRecord[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError("batchSize must be a positive integer");
  const chunks = strictUtf8(input as AsyncIterable<Buffer | string>);
  switch (format) {
    case "text":
      yield* readText(chunks, batchSize);
      return;
    case "csv":
      yield* readCsv(chunks, batchSize);
      return;
    case "xml":
      yield* readXml(chunks, batchSize);
      return;
    default:
      throw new Error(`unknown key file format ${JSON.stringify(format)}`);
  }
}

/** Refuses UTF-16 (what some editors call "Unicode"): the formats are UTF-8. */
function refuseUtf16(first: Buffer | string) {
  if (typeof first === "string" || first.length < 2) return;
  if ((first[0] === 0xff && first[1] === 0xfe) || (first[0] === 0xfe && first[1] === 0xff)) {
    throw new KeyFileError(1, "the file is encoded as UTF-16; save it as UTF-8");
  }
}

/** How many bytes at the end of `b` start a UTF-8 sequence that continues in the next chunk. */
function incompleteTail(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back] as number;
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** The index of the first byte of `b` that is not part of valid UTF-8 (b is known to be invalid). */
function firstInvalidByte(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || !isUtf8(b.subarray(i, i + n))) return i;
    i += n;
  }
  return b.length;
}

const newlinesIn = (b: Buffer, end = b.length) => {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1 && i < end; i = b.indexOf(10, i + 1)) n++;
  return n;
};

/**
 * Decodes the chunks as strict UTF-8 (a sequence split between chunks is joined first). A byte
 * that is not UTF-8 throws a `KeyFileError` naming its line; strings pass through as they are.
 */
async function* strictUtf8(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let tail: Buffer = Buffer.alloc(0);
  let line = 1; // the line the next undecoded byte is on
  let first = true;
  for await (const chunk of chunks) {
    if (typeof chunk === "string") {
      yield chunk;
      continue;
    }
    if (first && chunk.length > 0) {
      refuseUtf16(chunk);
      first = false;
    }
    const data = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    const cut = data.length - incompleteTail(data);
    const whole = data.subarray(0, cut);
    if (!isUtf8(whole)) throw notUtf8(whole, line);
    line += newlinesIn(whole);
    tail = Buffer.from(data.subarray(cut));
    if (whole.length > 0) yield whole.toString("utf8");
  }
  if (tail.length > 0) throw notUtf8(tail, line);
}

function notUtf8(b: Buffer, startLine: number): KeyFileError {
  const at = firstInvalidByte(b);
  const byte = (b[at] ?? 0).toString(16).toUpperCase().padStart(2, "0");
  return new KeyFileError(
    startLine + newlinesIn(b, at),
    `the line is not UTF-8 text (byte 0x${byte}${at >= b.length - 3 && at < b.length ? ", or a character cut off at the end of the file" : ""}); save the file as UTF-8`,
  );
}

/**
 * Collects records into batches of exactly `size`; `take()` hands over the full ones. Callbacks of
 * the CSV and XML parsers push into it synchronously, the generator yields after each chunk.
 */
class Batcher {
  private current: KeyRecord[] = [];
  private full: KeyRecord[][] = [];
  constructor(private readonly size: number) {}

  push(line: number, key: string) {
    this.current.push({ line, key });
    if (this.current.length >= this.size) {
      this.full.push(this.current);
      this.current = [];
    }
  }

  take(): KeyRecord[][] {
    const out = this.full;
    this.full = [];
    return out;
  }

  rest(): KeyRecord[] | null {
    const out = this.current;
    this.current = [];
    return out.length > 0 ? out : null;
  }
}

// ---------------------------------------------------------------------------------------------
// Plain text: one key per line.

const tooLong = (line: number) =>
  new KeyFileError(line, `the line is longer than ${MAX_LINE_CHARS} characters; this is not a key file`);

async function* readText(chunks: AsyncIterable<Buffer | string>, batchSize: number): AsyncGenerator<KeyRecord[]> {
  const decoder = new StringDecoder("utf8");
  let batch: KeyRecord[] = [];
  let line = 0; // lines completed so far
  let rest = ""; // the unfinished last line of the chunks seen so far
  let first = true;
  for await (const chunk of chunks) {
    let s = typeof chunk === "string" ? chunk : decoder.write(chunk);
    if (first) {
      refuseUtf16(chunk);
      if (s.length === 0) continue; // an incomplete first character: wait for more
      if (s.startsWith(UTF8_BOM)) s = s.slice(1);
      first = false;
    }
    if (rest.length > 0) s = rest + s;
    let start = 0;
    let nl = s.indexOf("\n");
    while (nl !== -1) {
      line++;
      if (nl - start > MAX_LINE_CHARS) throw tooLong(line);
      const key = s.slice(start, nl).trim();
      if (key.length > 0) {
        batch.push({ line, key });
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
      }
      start = nl + 1;
      nl = s.indexOf("\n", start);
    }
    rest = start === 0 ? s : s.slice(start);
    if (rest.length > MAX_LINE_CHARS) throw tooLong(line + 1);
  }
  let last = rest + decoder.end();
  if (first && last.startsWith(UTF8_BOM)) last = last.slice(1);
  if (last.length > MAX_LINE_CHARS) throw tooLong(line + 1);
  const key = last.trim();
  if (key.length > 0) batch.push({ line: line + 1, key });
  if (batch.length > 0) yield batch;
}

// ---------------------------------------------------------------------------------------------
// CSV: a header line naming a `key` column; other columns are ignored.

/**
 * csv-parse hands each record to `push` synchronously while it parses a chunk, with `info` telling
 * the line the record ends on. Taking records there (instead of through the stream, or through
 * `on_record`, which copies `info` for every record) halves the cost per record.
 */
class KeyCsvParser extends CsvParser {
  constructor(private readonly onRecord: (record: string[], endLine: number, emptyLines: number) => void) {
    super({
      bom: true,
      // Either line ending, even mixed in one file (csv-parse otherwise keeps the first one it sees).
      record_delimiter: ["\r\n", "\n"],
      skip_empty_lines: true,
      relax_column_count: true,
      // A stray quote inside an unquoted field stays part of the value, so the caller can name the
      // bad key instead of the whole file failing.
      relax_quotes: true,
      max_record_size: MAX_LINE_CHARS,
    });
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(chunk, encoding);
    this.onRecord(chunk as string[], this.info.lines, this.info.empty_lines);
    return true;
  }
}

async function* readCsv(chunks: AsyncIterable<Buffer | string>, batchSize: number): AsyncGenerator<KeyRecord[]> {
  const out = new Batcher(batchSize);
  let keyColumn = -1; // index of the `key` column, known after the header
  let failure: unknown = null;
  // Line bookkeeping: csv-parse tells the line a record ends on; a record starts on the line after
  // the previous one ended, plus the empty lines skipped in between.
  let prevEnd = 0;
  let prevEmpty = 0;

  const parser = new KeyCsvParser((record, endLine, emptyLines) => {
    const start = prevEnd + 1 + (emptyLines - prevEmpty);
    prevEnd = endLine;
    prevEmpty = emptyLines;
    if (failure) return;
    if (keyColumn === -1) {
      keyColumn = record.findIndex((name) => name.trim().toLowerCase() === "key");
      if (keyColumn === -1) failure = new KeyFileError(start, "the CSV file has no 'key' column");
      return;
    }
    const key = (record[keyColumn] ?? "").trim();
    if (key.length === 0 && record.every((v) => v.trim() === "")) return; // `,,,` as spreadsheets write them
    out.push(start, key);
  });
  parser.on("error", (err) => {
    failure ??= err;
  });
  // The parser runs synchronously inside write(); the callback reports a parse error.
  const write = (chunk: Buffer | string) =>
    new Promise<void>((resolve) => {
      parser.write(chunk, (err) => {
        if (err) failure ??= err;
        resolve();
      });
    });

  try {
    let first = true;
    for await (const chunk of chunks) {
      if (first) {
        refuseUtf16(chunk);
        first = false;
      }
      await write(chunk);
      if (failure) throw csvFailure(failure, prevEnd, prevEmpty);
      for (const batch of out.take()) yield batch;
    }
    await new Promise<void>((resolve) => {
      parser.once("finish", resolve);
      parser.once("error", () => resolve());
      parser.end();
    });
    if (failure) throw csvFailure(failure, prevEnd, prevEmpty);
    if (keyColumn === -1) throw new KeyFileError(1, "the CSV file has no 'key' column");
    for (const batch of out.take()) yield batch;
    const rest = out.rest();
    if (rest) yield rest;
  } finally {
    if (!parser.destroyed) parser.destroy();
  }
}

function csvFailure(err: unknown, prevEnd: number, prevEmpty: number): Error {
  if (err instanceof KeyFileError) return err;
  if (err instanceof CsvError) {
    if (err.code === "CSV_QUOTE_NOT_CLOSED") {
      // Reported at the end of the file: name the line where the unclosed value starts.
      const empty = typeof err.empty_lines === "number" ? err.empty_lines : prevEmpty;
      return new KeyFileError(prevEnd + 1 + (empty - prevEmpty), "the CSV file cannot be read: a quoted value is never closed");
    }
    const line = typeof err.lines === "number" ? err.lines : 1;
    return new KeyFileError(line, `the CSV file cannot be read: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

// ---------------------------------------------------------------------------------------------
// XML: FNO's `<webregkeys><webregkey>K</webregkey>…</webregkeys>` in UTF-8.

const ROOT = "webregkeys";
const KEY = "webregkey";

/** The name without a namespace prefix: `<x:webregkey>` counts as `<webregkey>`. */
const localName = (name: string) => name.slice(name.indexOf(":") + 1);

async function* readXml(chunks: AsyncIterable<Buffer | string>, batchSize: number): AsyncGenerator<KeyRecord[]> {
  const out = new Batcher(batchSize);
  const parser = new SaxesParser({ position: true });
  const decoder = new StringDecoder("utf8");
  let depth = 0; // 1 inside <webregkeys>, 2 inside a <webregkey>
  let keyLine = 0;
  let keyText = "";

  /** The line of the `<` of a start tag: at `opentagstart` the parser has read the name and the character after it. */
  const tagLine = () => (parser.column === 0 ? parser.line - 1 : parser.line);

  parser.on("error", (err) => {
    const m = /^(\d+):(\d+): ([\s\S]*)$/.exec(err.message);
    const line = m ? Number(m[1]) : parser.line;
    throw new KeyFileError(line, `the XML is not well-formed: ${m ? m[3] : err.message}`);
  });
  parser.on("xmldecl", (decl) => {
    const enc = decl.encoding?.trim().toLowerCase();
    if (enc !== undefined && enc !== "utf-8" && enc !== "utf8") {
      throw new KeyFileError(1, `the file declares the encoding ${decl.encoding}; key files must be UTF-8`);
    }
  });
  parser.on("opentagstart", (tag: SaxesTagPlain | { name: string }) => {
    const name = localName(tag.name);
    if (depth === 0) {
      if (name !== ROOT) throw new KeyFileError(1, "the root element must be <webregkeys>");
    } else if (depth === 1) {
      if (name !== KEY) {
        throw new KeyFileError(tagLine(), `unexpected element <${tag.name}>: <webregkeys> may contain only <webregkey> elements`);
      }
      keyLine = tagLine();
      keyText = "";
    } else {
      throw new KeyFileError(tagLine(), `unexpected element <${tag.name}> inside <webregkey>: it must contain only the key`);
    }
    depth++;
  });
  const onText = (text: string) => {
    if (depth === 2) {
      keyText += text;
      if (keyText.length > MAX_LINE_CHARS) {
        throw new KeyFileError(keyLine, `the <webregkey> is longer than ${MAX_LINE_CHARS} characters`);
      }
    } else if (depth === 1) {
      const at = text.search(/\S/);
      if (at !== -1) {
        // The parser stands just after the text: count back the line breaks after its first non-space.
        const breaks = text.slice(at).split("\n").length - 1;
        throw new KeyFileError(
          parser.line - breaks,
          "unexpected text outside <webregkey>: each key must be in its own <webregkey>",
        );
      }
    }
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("closetag", () => {
    if (depth === 2) out.push(keyLine, keyText.trim());
    depth--;
  });

  let first = true;
  for await (const chunk of chunks) {
    let s = typeof chunk === "string" ? chunk : decoder.write(chunk);
    if (first) {
      refuseUtf16(chunk);
      if (s.length === 0) continue;
      if (s.startsWith(UTF8_BOM)) s = s.slice(1);
      first = false;
    }
    parser.write(s);
    for (const batch of out.take()) yield batch;
  }
  const tail = decoder.end();
  if (tail.length > 0) parser.write(tail);
  parser.close();
  for (const batch of out.take()) yield batch;
  const rest = out.rest();
  if (rest) yield rest;
}
