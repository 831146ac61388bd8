import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The verifier ships on its own: no runtime dependencies, nothing imported from the rest of the repository. */
describe("@licensor/verifier package", () => {
  it("declares no runtime dependencies and publishes its build", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    expect(pkg.name).toBe("@licensor/verifier");
    expect(pkg.type).toBe("module");
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    expect(pkg.files).toEqual(expect.arrayContaining(["dist"]));
    expect(pkg.exports["."].import).toBe("./dist/index.js");
  });

  it("imports only node: built-ins and its own files", () => {
    const src = path.join(ROOT, "src");
    for (const file of fs.readdirSync(src)) {
      const text = fs.readFileSync(path.join(src, file), "utf8");
      for (const m of text.matchAll(/\bfrom\s+"([^"]+)"/g)) {
        const spec = m[1] as string;
        expect(spec.startsWith("node:") || /^\.\/[\w.]+\.js$/.test(spec), `${file} imports ${spec}`).toBe(true);
      }
    }
  });
});
