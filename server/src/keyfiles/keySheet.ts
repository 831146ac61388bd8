import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import PDFDocument from "pdfkit";
import QRCode from "qrcode";

/**
 * The printable sheet of web register keys (PRODUCT.md §3: "a printable sheet with a QR code per
 * key that opens the redeem page"): A4 portrait, 2 × 5 cards a page, separated by light dashed cut
 * lines. A card shows the title and subtitle small, the key large in Courier-Bold, an invitation
 * to register with the redeem address, and a QR code of that address drawn as vector rectangles.
 *
 * The PDF is written page by page: pdfkit writes out a finished page as the next one begins, and
 * drawing waits while more than BACKLOG_LIMIT bytes wait for a slow `out`, so memory stays bounded
 * whatever the number of keys (pdfkit keeps only a few hundred bytes of bookkeeping per page).
 *
 * Text uses the standard PDF fonts, which cover WinAnsi (Latin-1) only: other characters print as
 * `?` (the QR code and the link still carry the exact address).
 */

export interface KeySheetOptions {
  /** Printed on every card, small: the product name, say. */
  title: string;
  /** Printed under the title, smaller: the entitlement ID, say. */
  subtitle?: string;
  /** The redeem page for a key; the card prints it and encodes it in the QR code. */
  redeemUrl: (key: string) => string;
  /** PDF stream compression; off only to read the PDF in tests. Default true. */
  compress?: boolean;
}

// A4 in points (1/72 inch).
const PAGE_W = 595.28;
const PAGE_H = 841.89;
const COLS = 2;
const ROWS = 5;
export const CARDS_PER_PAGE = COLS * ROWS;
const MARGIN_X = 28; // ≈ 10 mm, inside what any printer prints
const MARGIN_Y = 36;
const CARD_W = (PAGE_W - 2 * MARGIN_X) / COLS;
const CARD_H = (PAGE_H - 2 * MARGIN_Y) / ROWS;
const PAD = 13;
const QR_BOX = 84; // the QR code's square, its quiet zone included
const GAP = 10;

const INK = "#111111";
const MUTED = "#555555";
const LINK = "#1f4e8c";
const CUT = "#b5b5b5";

/** Stop drawing while this much PDF output (a few pages) waits for `out`. */
const BACKLOG_LIMIT = 256 * 1024;

/**
 * Writes the sheet for all keys of `rows` to `out` and ends `out`. Returns the number of pages and
 * cards. No keys gives one page saying so (a PDF needs a page). Rejects, and destroys the PDF
 * stream, if `rows` throws or `out` fails.
 */
export async function writeKeySheet(
  rows: AsyncIterable<{ key: string }[]>,
  opts: KeySheetOptions,
  out: NodeJS.WritableStream,
): Promise<{ pages: number; cards: number }> {
  const title = winAnsi(opts.title);
  const subtitle = opts.subtitle ? winAnsi(opts.subtitle) : "";
  const doc = new PDFDocument({
    size: "A4",
    layout: "portrait",
    margin: 0,
    autoFirstPage: false,
    compress: opts.compress ?? true,
    info: { Title: subtitle ? `${title} — ${subtitle}` : title, Creator: "Licensor", Producer: "Licensor" },
  });

  let failure: unknown = null;
  // pdfkit emits many tiny chunks (one per PDF token line): hand `out` 64 kB at a time instead.
  const written = pipeline(doc, coalesce(64 * 1024), out).catch((err: unknown) => {
    failure ??= err;
  });

  let pages = 0;
  let cards = 0;
  let slot = CARDS_PER_PAGE; // the next card's place on the current page; a full page starts a new one

  const newPage = async () => {
    if (failure) throw failure;
    // pdfkit writes the finished page out when the next one is added: wait here while `out` is behind.
    doc.addPage({ size: "A4", layout: "portrait", margin: 0 });
    await roomFor(doc);
    if (failure) throw failure;
    pages++;
    slot = 0;
    drawCutLines(doc);
    drawFooter(doc, title, subtitle, pages);
  };

  try {
    for await (const batch of rows) {
      for (const { key } of batch) {
        if (slot === CARDS_PER_PAGE) await newPage();
        const x = MARGIN_X + (slot % COLS) * CARD_W;
        const y = MARGIN_Y + Math.floor(slot / COLS) * CARD_H;
        drawCard(doc, x, y, key, title, subtitle, opts.redeemUrl(key));
        slot++;
        cards++;
      }
    }
    if (pages === 0) {
      await newPage();
      doc
        .font("Helvetica")
        .fontSize(11)
        .fillColor(MUTED)
        .text("No keys to print.", MARGIN_X, MARGIN_Y + 20, { lineBreak: false });
    }
  } catch (err) {
    doc.destroy(err as Error);
    await written;
    throw err;
  }
  doc.end();
  await written;
  if (failure) throw failure;
  return { pages, cards };
}

/** Gathers chunks into ones of at least `size` bytes (the last one may be shorter). */
function coalesce(size: number): Transform {
  let parts: Buffer[] = [];
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      length += chunk.length;
      if (length < size) return callback();
      const joined = Buffer.concat(parts, length);
      parts = [];
      length = 0;
      callback(null, joined);
    },
    flush(callback) {
      callback(null, length > 0 ? Buffer.concat(parts, length) : undefined);
    },
  });
}

/** Resolves once the PDF output waiting for `out` is below the limit (or the pipe broke). */
function roomFor(doc: PDFKit.PDFDocument): Promise<void> {
  if (doc.readableLength <= BACKLOG_LIMIT || doc.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (doc.readableLength <= BACKLOG_LIMIT || doc.destroyed) {
        doc.off("data", check);
        doc.off("close", check);
        resolve();
      }
    };
    // Listening to 'data' does not resume a stream the pipe has paused; it only watches it drain.
    doc.on("data", check);
    doc.on("close", check);
  });
}

function drawCutLines(doc: PDFKit.PDFDocument) {
  const over = 14; // run into the margin so a guillotine can line up
  doc.save().lineWidth(0.5).strokeColor(CUT).dash(3, { space: 3 });
  for (let c = 0; c <= COLS; c++) {
    const x = MARGIN_X + c * CARD_W;
    doc.moveTo(x, MARGIN_Y - over).lineTo(x, PAGE_H - MARGIN_Y + over);
  }
  for (let r = 0; r <= ROWS; r++) {
    const y = MARGIN_Y + r * CARD_H;
    doc.moveTo(MARGIN_X - over, y).lineTo(PAGE_W - MARGIN_X + over, y);
  }
  doc.stroke().undash().restore();
}

function drawFooter(doc: PDFKit.PDFDocument, title: string, subtitle: string, page: number) {
  const label = `${subtitle ? `${title} · ${subtitle}` : title} · page ${page}`;
  doc
    .font("Helvetica")
    .fontSize(6.5)
    .fillColor(MUTED)
    .text(label, MARGIN_X, PAGE_H - MARGIN_Y + 18, { width: PAGE_W - 2 * MARGIN_X, align: "center", height: 9, ellipsis: true });
}

const INVITE = "Scan or visit the address below to register";
let inviteHeight: number | undefined; // the same on every card

function drawCard(doc: PDFKit.PDFDocument, x: number, y: number, key: string, title: string, subtitle: string, url: string) {
  const ix = x + PAD;
  const iy = y + PAD;
  const iw = CARD_W - 2 * PAD;
  const ih = CARD_H - 2 * PAD;
  const textW = iw - QR_BOX - GAP;

  drawQr(doc, url, ix + iw - QR_BOX, iy, QR_BOX);

  // Left column, top down: title, subtitle, the invitation and the address.
  doc.font("Helvetica-Bold").fontSize(10).fillColor(INK).text(title, ix, iy, { width: textW, height: 24, ellipsis: true });
  let ty = doc.y + 1;
  if (subtitle) {
    doc.font("Helvetica").fontSize(7.5).fillColor(MUTED).text(subtitle, ix, ty, { width: textW, height: 10, ellipsis: true });
    ty = doc.y;
  }
  const printableUrl = winAnsi(url);
  doc.font("Helvetica").fontSize(7.5).fillColor(INK);
  inviteHeight ??= doc.heightOfString(INVITE, { width: textW });
  const inviteH = inviteHeight;
  doc.font("Helvetica").fontSize(6.5);
  const urlH = Math.min(doc.heightOfString(printableUrl, { width: textW }), 3 * 8);
  // Sit the invitation and the address at the foot of the QR code's square, under the title.
  const inviteY = Math.max(ty + 6, iy + QR_BOX - inviteH - urlH - 3);
  doc.font("Helvetica").fontSize(7.5).fillColor(INK).text(INVITE, ix, inviteY, { width: textW });
  doc
    .font("Helvetica")
    .fontSize(6.5)
    .fillColor(LINK)
    .text(printableUrl, ix, doc.y + 2, { width: textW, height: 3 * 8, ellipsis: true, link: url });

  // The key, large, across the card's width under the QR code.
  const keyTop = iy + QR_BOX + 6;
  const keyH = iy + ih - keyTop;
  const text = winAnsi(key);
  // Courier glyphs are 0.6 em wide: the largest size, up to 16 pt, that fits one line; a long
  // imported key (up to 255 characters) wraps, as large as still fits the space whole.
  let size = Math.min(16, iw / (0.6 * Math.max(text.length, 1)));
  doc.font("Courier-Bold").fillColor(INK);
  if (size < 7) {
    size = 8;
    while (size > 4 && doc.fontSize(size).heightOfString(text, { width: iw, lineGap: 0 }) > keyH) size -= 0.5;
  }
  doc.fontSize(size);
  const keyTextH = Math.min(doc.heightOfString(text, { width: iw, lineGap: 0 }), keyH);
  // Only a key too long to be valid could still be cut: then the ellipsis shows it.
  doc.text(text, ix, keyTop + (keyH - keyTextH) / 2, { width: iw, height: keyH, ellipsis: true, lineGap: 0 });
}

/**
 * The QR code of `text` (error correction M) in a `box`-point square at (x, y): the modules as
 * filled rectangles, one per run of dark modules (runs repeated in the rows below merged into one
 * taller rectangle), in module units under a scale so the numbers stay short. One module of quiet
 * zone inside the square; the card's padding adds the rest.
 */
export function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, box: number) {
  const { size, data } = qrModules(text);
  const m = box / (size + 2);
  // The colour goes before the path: PDF allows no colour operator between a path and its fill.
  doc
    .save()
    .fillColor(INK)
    .translate(x + m, y + m)
    .scale(m);
  // One content string of integer `re` operators (what doc.rect writes, without its per-call cost).
  let path = "";
  for (const [c, r, w, h] of qrRects(size, data)) path += `${c} ${r} ${w} ${h} re\n`;
  doc.addContent(path).fill().restore();
}

/** The module matrix of a QR code for `text` (error correction level M): `data[row * size + col]` is 1 for dark. */
export function qrModules(text: string): { size: number; data: Uint8Array } {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  return { size: modules.size, data: modules.data };
}

/** Dark modules as [col, row, width, height] rectangles covering exactly the dark modules. */
export function qrRects(size: number, data: Uint8Array): [number, number, number, number][] {
  const rects: [number, number, number, number][] = [];
  let open = new Map<number, [number, number, number, number]>(); // run (col * 4096 + width) → its rectangle
  for (let r = 0; r < size; r++) {
    const next = new Map<number, [number, number, number, number]>();
    let c = 0;
    while (c < size) {
      if (!data[r * size + c]) {
        c++;
        continue;
      }
      const start = c;
      while (c < size && data[r * size + c]) c++;
      const id = start * 4096 + (c - start);
      const above = open.get(id);
      if (above) {
        above[3]++;
        open.delete(id);
        next.set(id, above);
      } else {
        next.set(id, [start, r, c - start, 1]);
      }
    }
    for (const rect of open.values()) rects.push(rect);
    open = next;
  }
  for (const rect of open.values()) rects.push(rect);
  return rects;
}

/**
 * The standard PDF fonts (Helvetica, Courier) draw WinAnsi (Latin-1 and a few more) only; other
 * characters would come out as garbage, so they are printed as `?`.
 */
const WIN_ANSI_EXTRA = new Set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ");
export function winAnsi(s: string): string {
  let out = "";
  for (const ch of s.normalize("NFC")) {
    const c = ch.codePointAt(0) as number;
    out += (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || WIN_ANSI_EXTRA.has(ch) ? ch : "?";
  }
  return out;
}
