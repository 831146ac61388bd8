import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readActivationRequest } from "../../verifier/src/index.js";
import { activationRequestText } from "../src/license.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** `licensor license request`: an offline activation request file the server reads back. */
describe("licensor license request", () => {
  it("writes a request for the hosts given (TYPE:id or bare ids of --host-type) that the server's reader accepts", () => {
    const text = activationRequestText("ACT-1", ["ETHERNET:00:1A:2B:3C:4D:5E", "build-box"], "USER");
    const r = readActivationRequest(text);
    expect(r).toMatchObject({
      activationId: "ACT-1",
      hosts: [
        { type: "ETHERNET", id: "00:1A:2B:3C:4D:5E" },
        { type: "USER", id: "build-box" },
      ],
    });
    expect(r.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(() => activationRequestText("ACT-1", ["x"], "MAC")).toThrow(/--host-type must be one of/);
    expect(() => activationRequestText("ACT-1", [" "])).toThrow(/--host: hosts\[0\]\.id/);
  });

  it("runs as a verb: --out writes the file, never over another", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "licensor-request-"));
    const out = path.join(dir, "req.txt");
    const run = () =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", "cli/src/main.ts", "license", "request", "ACT-9", "--host", "VM_UUID:{AB-CD}", "--out", out],
        { cwd: root, encoding: "utf8", env: { ...process.env, LICENSOR_DATA_DIR: dir } },
      );
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    expect(readActivationRequest(fs.readFileSync(out, "utf8")).hosts).toEqual([{ type: "VM_UUID", id: "{AB-CD}" }]);
    const again = run();
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/the file exists/);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
