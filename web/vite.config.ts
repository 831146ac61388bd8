import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import zlib from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const webRoot = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(webRoot, "..");

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);

/**
 * Writes `<file>.br` and `<file>.gz` beside every text asset of the build, compressed once at the
 * highest levels, so the server (@fastify/static `preCompressed`) sends them as they are: no
 * compression work per request on the server's cores, and better ratios than a per-request level
 * could afford. Files too small to gain are left alone.
 */
function precompress(): Plugin {
  let outDir = "";
  return {
    name: "licensor-precompress",
    apply: "build",
    configResolved(c) {
      outDir = path.resolve(c.root, c.build.outDir);
    },
    async writeBundle(_options, bundle) {
      await Promise.all(
        Object.keys(bundle)
          .filter((name) => /\.(js|css|html|svg|json)$/.test(name))
          .map(async (name) => {
            const file = path.join(outDir, name);
            const body = await fs.readFile(file);
            if (body.length < 1024) return;
            const [br, gz] = await Promise.all([
              brotli(body, {
                params: {
                  [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
                  [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
                },
              }),
              gzip(body, { level: zlib.constants.Z_BEST_COMPRESSION }),
            ]);
            if (br.length < body.length) await fs.writeFile(`${file}.br`, br);
            if (gz.length < body.length) await fs.writeFile(`${file}.gz`, gz);
          }),
      );
    },
  };
}

export default defineConfig({
  root: webRoot,
  plugins: [react(), precompress()],
  build: {
    outDir: path.join(webRoot, "dist"),
    emptyOutDir: true,
    // No source maps in what the server publishes: they would hand out the whole portal source and
    // add megabytes to web/dist. Debug with `npm run dev` (Vite serves its own maps there).
    sourcemap: false,
    // Hashed names under assets/ are what the server caches for a year (server/src/app.ts).
    assetsDir: "assets",
  },
  server: {
    // The portal imports the shared enums from common/src, outside web/.
    fs: { allow: [repoRoot] },
    proxy: { "/api": "http://localhost:8080" },
  },
});
