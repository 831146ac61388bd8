import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.js";
import type { DbHandle } from "../src/db/connect.js";
import { DIALECTS, freshDatabase, testConfig } from "./helpers.js";

/**
 * How the server hands out the built portal (issue 11, item 14): hashed assets compressed (the
 * build's .br/.gz, chosen by Accept-Encoding) and cached for a year; index.html and other unhashed
 * files revalidated every time; API answers keep their own caching. A portal build of a few files
 * stands in for web/dist.
 */

const SCRIPT = `export const greeting = ${JSON.stringify("Register the key that came with your software. ".repeat(200))};\n`;
const HTML = `<!doctype html><html><head><title>Licensor</title><script type="module" src="/assets/index-AbC_1-9z.js"></script></head><body><div id="root"></div></body></html>`;
const YEAR = "public, max-age=31536000, immutable";

let webDir = "";
beforeAll(() => {
  webDir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-web-"));
  fs.mkdirSync(path.join(webDir, "assets"));
  fs.writeFileSync(path.join(webDir, "index.html"), HTML);
  fs.writeFileSync(path.join(webDir, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>");
  const script = path.join(webDir, "assets/index-AbC_1-9z.js");
  fs.writeFileSync(script, SCRIPT);
  fs.writeFileSync(`${script}.br`, zlib.brotliCompressSync(SCRIPT));
  fs.writeFileSync(`${script}.gz`, zlib.gzipSync(SCRIPT));
});
afterAll(() => fs.rmSync(webDir, { recursive: true, force: true }));

for (const dialect of DIALECTS) {
  describe(`static portal files [${dialect}]`, () => {
    let handle: DbHandle;
    let app: FastifyInstance;
    beforeEach(async () => {
      handle = await freshDatabase(dialect);
      app = await buildApp({ db: handle.db, dialect, config: testConfig({ webDir }), bulk: handle.bulk }, { logger: false });
      await app.ready();
    });
    afterEach(async () => {
      await app?.close();
      await handle?.close();
    });
    const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: "GET", url, headers });

    it("sends a hashed asset brotli- or gzip-compressed as the browser accepts, cached for a year", async () => {
      const br = await get("/assets/index-AbC_1-9z.js", { "accept-encoding": "gzip, deflate, br, zstd" });
      expect(br.statusCode).toBe(200);
      expect(br.headers["content-encoding"]).toBe("br");
      expect(br.headers["content-type"]).toMatch(/javascript/);
      expect(br.headers["cache-control"]).toBe(YEAR);
      expect(br.headers.vary).toMatch(/accept-encoding/i);
      expect(br.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
      expect(zlib.brotliDecompressSync(br.rawPayload).toString()).toBe(SCRIPT);

      const gz = await get("/assets/index-AbC_1-9z.js", { "accept-encoding": "gzip" });
      expect(gz.headers["content-encoding"]).toBe("gzip");
      expect(gz.headers["cache-control"]).toBe(YEAR);
      expect(zlib.gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);

      // A client that accepts no compression gets the file itself.
      const plain = await get("/assets/index-AbC_1-9z.js", { "accept-encoding": "identity" });
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.headers["cache-control"]).toBe(YEAR);
      expect(plain.payload).toBe(SCRIPT);
    });

    it("never caches the page itself for long: index.html (any portal address) and unhashed files are revalidated", async () => {
      for (const url of ["/", "/redeem?key=AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", "/portal/entitlements", "/favicon.svg"]) {
        const res = await get(url, { "accept-encoding": "gzip, br" });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers["cache-control"], url).toBe("no-cache");
        expect(res.headers.etag ?? res.headers["last-modified"], url).toBeTruthy();
      }
      const page = await get("/redeem?key=AAAAA-BBBBB-CCCCC-DDDDD-EEEEE");
      expect(page.headers["content-type"]).toMatch(/text\/html/);
      expect(page.payload).toBe(HTML);
      // Revalidation costs a 304 and no body.
      const again = await get("/", { "if-none-match": String(page.headers.etag) });
      expect(again.statusCode).toBe(304);
    });

    it("answers a missing asset (an older release's script) with 404, not with the page", async () => {
      const res = await get("/assets/index-Gone1234.js", { "accept-encoding": "br" });
      expect(res.statusCode).toBe(404);
      expect(res.headers["content-type"]).not.toMatch(/text\/html/);
    });

    it("leaves API answers as they were: not stored, not compressed", async () => {
      const res = await get("/api/health", { "accept-encoding": "gzip, br" });
      expect(res.statusCode).toBe(200);
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.headers["content-encoding"]).toBeUndefined();
      expect(res.json()).toMatchObject({ status: "ok" });
    });
  });
}
