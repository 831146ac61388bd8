import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, LaunchOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Shared by the end-to-end and CLI tests: runs the built `licensor` (never the TypeScript sources)
 * exactly as a user would. `npm test` builds before vitest runs, so `dist/` and `web/dist/` exist.
 */

export const ROOT = path.resolve(import.meta.dirname, "..");
export const CLI = path.join(ROOT, "dist/cli/src/main.js");
export const RESULTS_DIR = path.join(ROOT, "test-results");

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does this).`);
}

/** Environment for a child `licensor`: ours minus anything that would point it at another database. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    "DATABASE_URL",
    "PORT",
    "HOST",
    "LICENSOR_DATA_DIR",
    "LICENSOR_ADMIN_EMAIL",
    "LICENSOR_ADMIN_PASSWORD",
    "LICENSOR_NEW_PASSWORD",
    "LICENSOR_WEB_DIR",
    "NODE_OPTIONS",
  ]) {
    delete env[k];
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

export function tempDir(prefix = "licensor-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion (no stdin) and collects its output. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<RunResult> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`licensor ${args.join(" ")} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  /** Everything the server printed so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** Reuse a data directory (kept on stop); default a fresh temp directory, removed on stop. */
  dataDir?: string;
  adminEmail?: string;
  adminPassword?: string;
  env?: Record<string, string | undefined>;
  /** Extra node flags for the server process (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

/**
 * Starts `node dist/cli/src/main.js serve` on a free port with SQLite in a temp data directory and
 * waits until GET /api/health answers.
 */
export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  assertBuilt();
  const port = await freePort();
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? tempDir();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, "serve"], {
    cwd: ROOT,
    env: childEnv({
      PORT: String(port),
      HOST: "127.0.0.1",
      LICENSOR_DATA_DIR: dataDir,
      LICENSOR_ADMIN_EMAIL: opts.adminEmail,
      LICENSOR_ADMIN_PASSWORD: opts.adminPassword,
      LOG_LEVEL: "warn",
      ...opts.env,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  let exited: number | null | undefined;
  const exitedP = new Promise<void>((resolve) => {
    child.on("exit", (code) => {
      exited = code;
      resolve();
    });
  });

  const stop = async () => {
    if (exited === undefined) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exitedP;
      clearTimeout(killer);
    }
    if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`licensor serve exited with code ${exited} before it was healthy:\n${out}`);
    }
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`licensor serve was not healthy after 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, dataDir, adminEmail: opts.adminEmail, adminPassword: opts.adminPassword, output: () => out, stop };
}

/** A logged-in API client using the portal's own mechanism: session cookie plus X-CSRF-Token. */
export interface ApiSession {
  csrfToken: string;
  session: any;
  get(p: string): Promise<Response>;
  post(p: string, body: unknown): Promise<Response>;
}

export async function login(baseUrl: string, email: string, password: string): Promise<ApiSession> {
  const r = await fetch(`${baseUrl}/api/v1/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (r.status !== 200) throw new Error(`login as ${email} failed: ${r.status} ${await r.text()}`);
  const cookie = (r.headers.getSetCookie()[0] ?? "").split(";")[0] as string;
  const session = (await r.json()) as { csrfToken: string };
  const headers = { cookie, "x-csrf-token": session.csrfToken };
  return {
    csrfToken: session.csrfToken,
    session,
    get: (p) => fetch(`${baseUrl}${p}`, { headers }),
    post: (p, body) =>
      fetch(`${baseUrl}${p}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
  };
}

/** The JSON of an API answer, after checking its status (the body is the message if it differs). */
export async function okJson<T = any>(r: Response, status = 201): Promise<T> {
  const text = await r.text();
  expect(r.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** A DEPLOYED node-locked license model, created through the API, for suites that need a catalog. */
export async function deployedLicenseModel(admin: ApiSession, name: string): Promise<{ id: string }> {
  const lm = await okJson<{ id: string }>(
    await admin.post("/api/v1/license-models", { name, technology: "CERTIFICATE", modelType: "NODE_LOCKED_UNCOUNTED" }),
  );
  await okJson(await admin.post(`/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" }), 200);
  return lm;
}

export const CHROMIUM = process.env.LICENSOR_CHROMIUM || "/usr/bin/chromium";
export const BROWSER_REQUIRED = process.env.LICENSOR_REQUIRE_BROWSER === "1";
export const HAVE_BROWSER = fs.existsSync(CHROMIUM);

export const LAUNCH_OPTIONS: LaunchOptions = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch(LAUNCH_OPTIONS);
}

/** Matches a form label with or without the required-field asterisk that component libraries append. */
export function labelled(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\*?\\s*$`, "i");
}

/** Logs in through the portal's login page and waits to be taken past it. */
export async function logInPage(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/login");
  // Typed before the session check settles, the form could be re-rendered empty.
  await page.waitForLoadState("networkidle");
  await page.getByLabel(labelled("Email")).fill(email);
  await page.getByLabel(labelled("Password")).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/login"));
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  return path.join(RESULTS_DIR, `${name}.png`);
}

/**
 * Where CI requires a browser (LICENSOR_REQUIRE_BROWSER=1) and there is none, a failing test
 * stands in for the browser suite, so a missing Chromium is never a silent skip.
 */
export function requireBrowserFor(suite: string): void {
  if (HAVE_BROWSER || !BROWSER_REQUIRED) return;
  describe(suite, () => {
    it("has a Chromium to drive", () => {
      throw new Error(`LICENSOR_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} (set LICENSOR_CHROMIUM).`);
    });
  });
}

/** The built server with its portal, and Chromium; fails clearly when the portal is not built. */
export async function startPortal(opts: ServerOptions): Promise<{ server: RunningServer; browser: Browser }> {
  const server = await startServer(opts);
  const page = await fetch(`${server.url}/login`);
  if (!(page.headers.get("content-type") ?? "").includes("text/html")) {
    await server.stop();
    throw new Error(`The server does not serve the portal at /login (${page.status}): is web/dist built? Run \`npm run build\`.`);
  }
  return { server, browser: await launchBrowser() };
}

/**
 * The built server with its portal, and Chromium, for the describe block that calls it: started
 * before its tests, stopped after them. `server()` is the running server; `inBrowser` runs one
 * step in a fresh page ({@link inPortalPage}).
 */
export function portalForSuite(
  opts: ServerOptions,
  viewport?: { width: number; height: number },
): {
  server: () => RunningServer;
  inBrowser: (name: string, fn: (page: Page, context: BrowserContext) => Promise<void>) => Promise<void>;
} {
  let started: { server: RunningServer; browser: Browser } | null = null;
  beforeAll(async () => {
    started = await startPortal(opts);
  });
  afterAll(async () => {
    await started?.browser.close();
    await started?.server.stop();
  });
  const running = () => {
    if (!started) throw new Error("The portal did not start (see beforeAll).");
    return started;
  };
  return {
    server: () => running().server,
    inBrowser: (name, fn) => inPortalPage(running().server, running().browser, name, fn, viewport),
  };
}

/**
 * Runs fn in a fresh page of its own context. A failure carries the page's address and the
 * server's output; a screenshot named after the step is taken either way.
 */
export async function inPortalPage(
  server: RunningServer,
  browser: Browser,
  name: string,
  fn: (page: Page, context: BrowserContext) => Promise<void>,
  viewport: { width: number; height: number } = { width: 1400, height: 1000 },
): Promise<void> {
  const context = await browser.newContext({ baseURL: server.url, viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  try {
    await fn(page, context);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- at ${page.url()}\n--- server output:\n${server.output()}`, { cause: err });
  } finally {
    await page.screenshot({ path: screenshotPath(name), fullPage: true }).catch(() => {});
    await context.close();
  }
}
