import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { KeyRecord } from "../domain/keys.js";
import { detectFormat, KeyFileError, type KeyFileFormat, MAX_LINE_CHARS, readKeyFile } from "./readKeyFile.js";

/** The file as chunks of `size` bytes (1 puts every boundary, UTF-8 sequences and CRLF included, between chunks). */
async function* chunked(content: string | Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  const buf = typeof content === "string" ? Buffer.from(content, "utf8") : content;
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function read(content: string | Buffer, format: KeyFileFormat, opts: { chunk?: number; batch?: number } = {}) {
  const batches: KeyRecord[][] = [];
  for await (const b of readKeyFile(chunked(content, opts.chunk), format, opts.batch)) batches.push(b);
  return { batches, records: batches.flat() };
}

async function failure(content: string | Buffer, format: KeyFileFormat, chunk?: number): Promise<KeyFileError> {
  try {
    await read(content, format, { chunk });
  } catch (err) {
    expect(err).toBeInstanceOf(KeyFileError);
    return err as KeyFileError;
  }
  throw new Error("expected a KeyFileError");
}

const BOM = "\uFEFF";

describe("detectFormat", () => {
  it("goes by the extension first", () => {
    const head = Buffer.from("<webregkeys>");
    expect(detectFormat("keys.CSV", head)).toBe("csv");
    expect(detectFormat("keys.txt", head)).toBe("text");
    expect(detectFormat("/tmp/Keys.Xml", Buffer.from("A\nB"))).toBe("xml");
  });

  it("sniffs the content otherwise", () => {
    expect(detectFormat(undefined, Buffer.from(`${BOM}  \r\n <?xml version="1.0"?><webregkeys/>`))).toBe("xml");
    expect(detectFormat("upload.bin", Buffer.from("<webregkeys>"))).toBe("xml");
    expect(detectFormat(undefined, Buffer.from(`${BOM}id, Key ,note\r\n1,AAA,x`))).toBe("csv");
    expect(detectFormat(undefined, Buffer.from('"id","KEY"\n1,AAA'))).toBe("csv");
    expect(detectFormat(undefined, Buffer.from("key\nAAA\n"))).toBe("csv");
    expect(detectFormat(undefined, Buffer.from("AAA-BBB\nCCC-DDD\n"))).toBe("text");
    expect(detectFormat(undefined, Buffer.from("keys,a\n"))).toBe("text");
    expect(detectFormat("noext", Buffer.alloc(0))).toBe("text");
  });
});

describe("readKeyFile: plain text", () => {
  it("reads one key per line, trimmed, skipping blank lines, with LF or CRLF and a BOM", async () => {
    const file = `${BOM}AAAA-1111\r\n  BBBB-2222  \r\n\r\n\t\nCCCC-3333\nDDDD-4444`;
    const expected = [
      { line: 1, key: "AAAA-1111" },
      { line: 2, key: "BBBB-2222" },
      { line: 5, key: "CCCC-3333" },
      { line: 6, key: "DDDD-4444" },
    ];
    expect((await read(file, "text")).records).toEqual(expected);
    // Every chunk boundary: inside CRLF, inside the BOM.
    expect((await read(file, "text", { chunk: 1 })).records).toEqual(expected);
    expect((await read(`${file}\r\n\r\n`, "text", { chunk: 3 })).records).toEqual(expected);
  });

  it("keeps multi-byte characters whole across chunks and returns keys as written", async () => {
    const file = "ключ-1\nКлюч 2\n=SUM(1)\n";
    const { records } = await read(file, "text", { chunk: 1 });
    expect(records).toEqual([
      { line: 1, key: "ключ-1" },
      { line: 2, key: "Ключ 2" },
      { line: 3, key: "=SUM(1)" },
    ]);
  });

  it("accepts strings as chunks", async () => {
    const out: KeyRecord[] = [];
    for await (const b of readKeyFile(Readable.from(["A\nB", "B\r", "\nC"]), "text")) out.push(...b);
    expect(out).toEqual([
      { line: 1, key: "A" },
      { line: 2, key: "BB" },
      { line: 3, key: "C" },
    ]);
  });

  it("yields batches of batchSize, the last one shorter, never an empty one", async () => {
    const ten = Array.from({ length: 10 }, (_, i) => `K${i}`).join("\n");
    expect((await read(ten, "text", { batch: 3 })).batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect((await read(ten, "text", { batch: 5 })).batches.map((b) => b.length)).toEqual([5, 5]);
    expect((await read(ten, "text", { batch: 1 })).batches).toHaveLength(10);
    expect((await read("\n\n", "text")).batches).toEqual([]);
    expect((await read("", "text")).batches).toEqual([]);
    await expect(read(ten, "text", { batch: 0 })).rejects.toThrow(RangeError);
  });

  it("refuses UTF-16 and lines too long to be keys", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("A\nB\n", "utf16le")]);
    expect(await failure(utf16, "text")).toMatchObject({ line: 1, message: expect.stringContaining("UTF-16") });
    const long = `OK\n${"x".repeat(MAX_LINE_CHARS + 10)}\nOK`;
    expect(await failure(long, "text", 4096)).toMatchObject({ line: 2, message: expect.stringContaining("longer than") });
  });

  it("refuses a byte that is not UTF-8, naming its line, in every format and wherever the chunks split", async () => {
    const latin1 = (text: string) => Buffer.from(text, "latin1"); // "é" becomes the lone byte 0xE9
    const files: [KeyFileFormat, Buffer][] = [
      ["text", latin1("K-1\nK-2\nCAF\u00c9-3\nK-4\n")],
      ["csv", latin1("key,note\nK-1,a\nCAF\u00c9-3,b\n")],
      ["xml", latin1("<webregkeys>\n<webregkey>K-1</webregkey>\n<webregkey>CAF\u00c9-3</webregkey>\n</webregkeys>\n")],
    ];
    for (const [format, bytes] of files)
      for (const chunk of [1, 2, 3, 5, 64 * 1024]) {
        const err = await failure(bytes, format, chunk);
        expect(err.line, `${format}, ${chunk}-byte chunks`).toBe(3);
        expect(err.message).toContain("not UTF-8");
        expect(err.message).toContain("0xC9");
      }
    // A character cut off at the end of the file, and a stray continuation byte.
    expect(await failure(Buffer.concat([Buffer.from("K-1\nK-\u00e9"), Buffer.from([0xe2, 0x82])]), "text", 1)).toMatchObject({
      line: 2,
      message: expect.stringContaining("cut off"),
    });
    expect((await failure(Buffer.from([0x4b, 0x0a, 0x80, 0x0a]), "text")).line).toBe(2);
    // Valid multi-byte text split anywhere still reads as written.
    for (const chunk of [1, 2, 3])
      expect((await read("K-\u00e9\u20ac\u{1F511}\nK-2\n", "text", { chunk })).records.map((r) => r.key)).toEqual([
        "K-\u00e9\u20ac\u{1F511}",
        "K-2",
      ]);
  });

  it("streams a 200,000-line file in bounded memory and reads every line", async () => {
    const lines = 200_000;
    let produced = 0;
    // Produced on demand, 1,000 lines (≈ 30 kB) a chunk: nothing pre-built.
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < lines; i += 1000) {
          let s = "";
          for (let j = i; j < i + 1000; j++) s += `KEY-${String(j).padStart(8, "0")}-ABCDEFGHJK\r\n`;
          produced += 1000;
          yield Buffer.from(s);
        }
      })(),
    );
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    let count = 0;
    let last = 0;
    let producedAtFirstBatch = -1;
    for await (const batch of readKeyFile(source, "text", 5000)) {
      if (producedAtFirstBatch < 0) producedAtFirstBatch = produced;
      count += batch.length;
      last = (batch.at(-1) as KeyRecord).line;
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    expect(count).toBe(lines);
    expect(last).toBe(lines);
    // Pulled, not slurped: the first batch came while the source had produced a small part of the file.
    expect(producedAtFirstBatch).toBeLessThan(50_000);
    expect(peak).toBeLessThan(50 * 1024 * 1024);
  });

  it("destroys the input stream when the reader stops early", async () => {
    const source = Readable.from(chunked("A\nB\nC\nD\n", 2));
    for await (const batch of readKeyFile(source, "text", 1)) {
      expect(batch).toEqual([{ line: 1, key: "A" }]);
      break;
    }
    expect(source.destroyed).toBe(true);
  });
});

describe("readKeyFile: CSV", () => {
  it("reads the key column by its header, case and spaces aside, ignoring other columns", async () => {
    const file = `${BOM}id, Key ,note\r\n1,AAAA-1111,first\r\n\r\n2,  BBBB-2222 ,"a, quoted ""note"""\r\n3,"CCCC,3333",x\r\n4,DDDD-4444`;
    const expected = [
      { line: 2, key: "AAAA-1111" },
      { line: 4, key: "BBBB-2222" },
      { line: 5, key: "CCCC,3333" },
      { line: 6, key: "DDDD-4444" },
    ];
    expect((await read(file, "csv")).records).toEqual(expected);
    expect((await read(file, "csv", { chunk: 1 })).records).toEqual(expected);
  });

  it("gives the line a record starts on, across quoted line breaks and blank lines", async () => {
    const file = 'note,key\n"two\nlines",AAAA\n\n\nx,BBBB\n"three\n\nlines","CC\nCC"\ny,DDDD\n';
    expect((await read(file, "csv")).records).toEqual([
      { line: 2, key: "AAAA" },
      { line: 6, key: "BBBB" },
      { line: 7, key: "CC\nCC" },
      { line: 11, key: "DDDD" },
    ]);
  });

  it("skips rows that are all empty but returns an empty key of a filled row, for the caller to report", async () => {
    const file = "key,owner\nAAAA,x\n,,\n , \n,bob\nBBBB\n";
    expect((await read(file, "csv")).records).toEqual([
      { line: 2, key: "AAAA" },
      { line: 5, key: "" },
      { line: 6, key: "BBBB" },
    ]);
  });

  it("keeps a stray quote inside a value so the bad key can be named", async () => {
    expect((await read('key\nAB"CD\nEF\n', "csv")).records).toEqual([
      { line: 2, key: 'AB"CD' },
      { line: 3, key: "EF" },
    ]);
  });

  it("refuses a file without a key column", async () => {
    expect(await failure("id,code\n1,AAAA\n", "csv")).toMatchObject({ line: 1, message: "the CSV file has no 'key' column" });
    expect(await failure("AAAA\nBBBB\n", "csv")).toMatchObject({ line: 1, message: "the CSV file has no 'key' column" });
    expect(await failure("", "csv")).toMatchObject({ line: 1, message: "the CSV file has no 'key' column" });
    expect(await failure("\n\nid,code\n1,AAAA\n", "csv")).toMatchObject({ line: 3 });
  });

  it("names the line of a quoted value that is never closed", async () => {
    const err = await failure('key\nAAAA\n"BBBB\nCCCC\nDDDD\n', "csv");
    expect(err.line).toBe(3);
    expect(err.message).toContain("never closed");
  });

  it("yields batches of batchSize", async () => {
    const file = `key\n${Array.from({ length: 7 }, (_, i) => `K${i}`).join("\n")}\n`;
    const { batches } = await read(file, "csv", { batch: 3, chunk: 5 });
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });
});

describe("readKeyFile: XML", () => {
  const fno = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<webregkeys>",
    "  <webregkey>AAAA-1111</webregkey>",
    "  <!-- a comment -->",
    "  <webregkey>",
    "     BBBB-2222",
    "  </webregkey>",
    "  <webregkey><![CDATA[CCCC-3333]]></webregkey><webregkey>D&amp;D</webregkey>",
    "  <webregkey\n  >EEEE-5555</webregkey>",
    "  <webregkey/>",
    "</webregkeys>",
    "",
  ];
  const expected = [
    { line: 3, key: "AAAA-1111" },
    { line: 5, key: "BBBB-2222" },
    { line: 8, key: "CCCC-3333" },
    { line: 8, key: "D&D" },
    { line: 9, key: "EEEE-5555" },
    { line: 11, key: "" },
  ];

  it("reads FNO's format: the trimmed text of each <webregkey>, at the line of its opening tag", async () => {
    expect((await read(fno.join("\n"), "xml")).records).toEqual(expected);
    expect((await read(BOM + fno.join("\r\n"), "xml", { chunk: 1 })).records).toEqual(expected);
    expect((await read("<webregkeys><webregkey>K</webregkey></webregkeys>", "xml")).records).toEqual([{ line: 1, key: "K" }]);
    expect((await read("<webregkeys/>", "xml")).records).toEqual([]);
  });

  it("yields batches of batchSize", async () => {
    const file = `<webregkeys>${Array.from({ length: 7 }, (_, i) => `<webregkey>K${i}</webregkey>`).join("\n")}</webregkeys>`;
    const { batches } = await read(file, "xml", { batch: 3, chunk: 10 });
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat().map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("refuses another root element", async () => {
    const err = await failure('<?xml version="1.0"?>\n<keys><webregkey>A</webregkey></keys>', "xml");
    expect(err).toMatchObject({ line: 1, message: "the root element must be <webregkeys>" });
  });

  it("names the line of malformed XML, in saxes' words", async () => {
    const file =
      "<webregkeys>\n  <webregkey>A</webregkey>\n  <webregkey>B</webregkey>\n  <webregkey>C</webregkeyy>\n</webregkeys>\n";
    for (const chunk of [undefined, 1, 7]) {
      const err = await failure(file, "xml", chunk);
      expect(err.line).toBe(4);
      expect(err.message).toMatch(/^the XML is not well-formed: .+/);
      expect(err.message).not.toMatch(/\d+:\d+:/);
    }
    expect((await failure("<webregkeys>\n<webregkey>A</webregkey>\n<webregkey>B & C</webregkey>", "xml")).line).toBe(3);
    expect((await failure("<webregkeys>\n<webregkey>A</webregkey>\n", "xml")).message).toContain("unclosed tag");
    expect((await failure("", "xml")).message).toContain("root element");
  });

  it("refuses other elements and stray text with their line", async () => {
    expect(await failure("<webregkeys>\n<webregkey>A</webregkey>\n\n  <key>B</key>\n</webregkeys>", "xml")).toMatchObject({
      line: 4,
      message: expect.stringContaining("unexpected element <key>"),
    });
    expect(await failure("<webregkeys>\n<webregkey>\n<b>A</b></webregkey></webregkeys>", "xml")).toMatchObject({
      line: 3,
      message: expect.stringContaining("inside <webregkey>"),
    });
    expect(await failure("<webregkeys>\n<webregkey>A</webregkey>\n  B-KEY\n\n</webregkeys>", "xml")).toMatchObject({
      line: 3,
      message: expect.stringContaining("outside <webregkey>"),
    });
  });

  it("refuses an encoding other than UTF-8", async () => {
    const err = await failure('<?xml version="1.0" encoding="ISO-8859-1"?>\n<webregkeys/>', "xml");
    expect(err).toMatchObject({ line: 1, message: expect.stringContaining("UTF-8") });
    expect((await read("<?xml version='1.0' encoding='utf-8'?><webregkeys/>", "xml")).records).toEqual([]);
  });
});
