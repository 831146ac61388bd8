import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { generateKey } from "../domain/keyFormat.js";
import { CARDS_PER_PAGE, qrModules, qrRects, winAnsi, writeKeySheet } from "./keySheet.js";

const redeemUrl = (key: string) => `https://licensing.example.com/redeem?key=${encodeURIComponent(key)}`;

async function* inBatches(keys: string[], size = 7): AsyncGenerator<{ key: string }[]> {
  for (let i = 0; i < keys.length; i += size) yield keys.slice(i, i + size).map((key) => ({ key }));
}

/** Renders uncompressed, so the PDF's content can be searched as text. */
async function render(keys: string[], opts: { title?: string; subtitle?: string } = {}) {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  const ended = new Promise((resolve) => out.on("end", resolve));
  const result = await writeKeySheet(
    inBatches(keys),
    { title: opts.title ?? "Acme Designer Pro", subtitle: opts.subtitle ?? "ENT-7K3Q9", redeemUrl, compress: false },
    out,
  );
  await ended;
  return { result, pdf: Buffer.concat(chunks).toString("latin1") };
}

const pageCount = (pdf: string) => (pdf.match(/\/Type \/Page\b/g) ?? []).length;
/** pdfkit writes standard-font text as hex strings: `<4b4559> Tj`. */
const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");
/** The text runs of an uncompressed PDF: each `[<hex> kern <hex> …] TJ` array, kerning dropped. */
const textRuns = (pdf: string) =>
  [...pdf.matchAll(/\[([^\]]*)\] TJ/g)].map((m) =>
    [...(m[1] as string).matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1] as string, "hex").toString("latin1")).join(""),
  );

describe("writeKeySheet", () => {
  it("puts 25 keys on 3 pages, 10 cards a page, and ends the output", async () => {
    const keys = Array.from({ length: 25 }, () => generateKey());
    const { result, pdf } = await render(keys);
    expect(result).toEqual({ pages: 3, cards: 25 });
    expect(pdf.startsWith("%PDF-")).toBe(true);
    expect(pdf.trimEnd().endsWith("%%EOF")).toBe(true);
    expect(pageCount(pdf)).toBe(3);
    for (const key of keys) {
      expect(pdf).toContain(`<${hex(key)}>`);
      expect(pdf).toContain(`/URI (${redeemUrl(key)})`); // the printed address is also a link
    }
    const runs = textRuns(pdf);
    expect(runs.filter((t) => t === "Acme Designer Pro")).toHaveLength(25);
    expect(runs.filter((t) => t === "ENT-7K3Q9")).toHaveLength(25);
    expect(runs.filter((t) => t === "Scan or visit the address below to register")).toHaveLength(25);
    expect(runs).toContain("Acme Designer Pro · ENT-7K3Q9 · page 3");
  });

  it("fills whole pages exactly", async () => {
    expect((await render(Array.from({ length: CARDS_PER_PAGE }, () => generateKey()))).result).toEqual({ pages: 1, cards: 10 });
    const eleven = await render(Array.from({ length: CARDS_PER_PAGE + 1 }, () => generateKey()));
    expect(eleven.result).toEqual({ pages: 2, cards: 11 });
    expect(pageCount(eleven.pdf)).toBe(2);
  });

  it("prints one page saying so when there are no keys", async () => {
    const { result, pdf } = await render([]);
    expect(result).toEqual({ pages: 1, cards: 0 });
    expect(pageCount(pdf)).toBe(1);
    expect(textRuns(pdf)).toContain("No keys to print.");
  });

  it("fits long imported keys and prints characters the standard fonts lack as '?'", async () => {
    const long = "IMPORTED-KEY-".repeat(19).slice(0, 255);
    const { result, pdf } = await render([long, "SHORT"], { title: "製品 Pro" });
    expect(result.cards).toBe(2);
    expect(textRuns(pdf)).toContain("?? Pro");
    expect(textRuns(pdf)).toContain("SHORT");
    expect(winAnsi("Zoë – “Ünal” €5 ✓")).toBe("Zoë – “Ünal” €5 ?");
  });

  it("waits for a slow output instead of buffering the document", async () => {
    let bytes = 0;
    let pagesWhenFirstWritten = -1;
    let pagesDrawn = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (pagesWhenFirstWritten < 0) pagesWhenFirstWritten = pagesDrawn;
        setTimeout(cb, 1);
      },
    });
    async function* counted() {
      for await (const batch of inBatches(
        Array.from({ length: 300 }, () => generateKey()),
        CARDS_PER_PAGE,
      )) {
        pagesDrawn++;
        yield batch;
      }
    }
    const result = await writeKeySheet(counted(), { title: "T", redeemUrl, compress: false }, slow);
    expect(result).toEqual({ pages: 30, cards: 300 });
    expect(slow.writableFinished).toBe(true);
    expect(bytes).toBeGreaterThan(10_000);
    // The first page reached the output while later ones were still to be drawn.
    expect(pagesWhenFirstWritten).toBeGreaterThan(0);
    expect(pagesWhenFirstWritten).toBeLessThan(30);
  });

  it("rejects when the keys fail, and when the output fails", async () => {
    async function* broken(): AsyncGenerator<{ key: string }[]> {
      yield [{ key: "A" }];
      throw new Error("database went away");
    }
    const out = new PassThrough();
    out.resume();
    await expect(writeKeySheet(broken(), { title: "T", redeemUrl }, out)).rejects.toThrow("database went away");

    const failing = new Writable({
      write(_c, _e, cb) {
        cb(new Error("disk full"));
      },
    });
    failing.on("error", () => {});
    const many = inBatches(Array.from({ length: 200 }, () => generateKey()));
    await expect(writeKeySheet(many, { title: "T", redeemUrl }, failing)).rejects.toThrow("disk full");
  });
});

describe("QR codes", () => {
  it("has the size of the QR version the address needs (error correction M)", () => {
    // 14 bytes fit version 1 (21 × 21) at level M; a redeem address with a 29-character key needs version 5 (37 × 37).
    expect(qrModules("https://x.io/r").size).toBe(21);
    const { size, data } = qrModules(redeemUrl("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE"));
    expect(size).toBe(37);
    expect(data).toHaveLength(37 * 37);
    // Finder pattern: the top-left 7 × 7 square has a dark border and a light ring.
    expect([...data.subarray(0, 7)]).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect([...data.subarray(size, size + 7)]).toEqual([1, 0, 0, 0, 0, 0, 1]);
  });

  it("draws rectangles that cover exactly the dark modules", () => {
    for (const url of ["https://x.io/r", redeemUrl(generateKey()), redeemUrl("X".repeat(200))]) {
      const { size, data } = qrModules(url);
      const painted = new Uint8Array(size * size);
      const rects = qrRects(size, data);
      for (const [c, r, w, h] of rects) {
        for (let y = r; y < r + h; y++) {
          for (let x = c; x < c + w; x++) {
            expect(painted[y * size + x]).toBe(0); // no overlaps
            painted[y * size + x] = 1;
          }
        }
      }
      expect(painted).toEqual(data.map((v) => (v ? 1 : 0)));
      expect(rects.length).toBeLessThan(data.reduce((n, v) => n + v, 0) / 2);
    }
  });
});
