import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type AccountsResult, benchPostgres, benchSqlite } from "./accounts.js";
import { benchActivate, reportActivate } from "./activate.js";
import { benchKeys, keysOptionsFromEnv, keysSummary } from "./keys.js";
import { benchLicenseSign } from "./licenseSign.js";
import { benchLoadLatency, type LoadLatencyResult, reportLoadLatency } from "./loadlatency.js";
import { benchPageWeight, reportPageWeight } from "./pageWeight.js";
import { benchRedeem, type RedeemResult, reportRedeem } from "./redeem.js";
import { benchReport, type ReportBenchResult, reportReport } from "./report.js";
import { benchSoap, reportSoap, type SoapBenchResult } from "./soap.js";
import { benchWebhooks, reportWebhooks, type WebhookBenchResult } from "./webhooks.js";

/**
 * `npm run bench`: every benchmark with its same-run baseline, so the ratios mean something on a
 * noisy machine. PostgreSQL runs when LICENSOR_TEST_PG_URL (or DATABASE_URL) names a server we may
 * create databases on. The last line of output is one JSON object holding every figure.
 * BENCH_ONLY=accounts, keys, redeem, page, loadlatency, sign, activate, report, soap or webhooks runs one of them.
 */

const n = Number.parseInt(process.env.BENCH_N ?? "2000", 10);
const rounds = Number.parseInt(process.env.BENCH_ROUNDS ?? "3", 10);
const pgUrl = process.env.LICENSOR_TEST_PG_URL || process.env.DATABASE_URL || "";
const only = process.env.BENCH_ONLY ?? "";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Runs one database's benchmark `rounds` times (fresh databases each time) and keeps the medians. */
async function measure(run: () => Promise<AccountsResult>): Promise<AccountsResult & { rounds: AccountsResult[] }> {
  const all: AccountsResult[] = [];
  for (let i = 0; i < rounds; i++) all.push(await run());
  const first = all[0] as AccountsResult;
  return {
    database: first.database,
    n: first.n,
    commandOpsPerSec: Math.round(median(all.map((r) => r.commandOpsPerSec))),
    baselineOpsPerSec: Math.round(median(all.map((r) => r.baselineOpsPerSec))),
    // Each round's ratio pairs a command run with the baseline run next to it in time.
    ratio: median(all.map((r) => r.ratio)),
    commandMs: Math.round(median(all.map((r) => r.commandMs))),
    baselineMs: Math.round(median(all.map((r) => r.baselineMs))),
    rounds: all,
  };
}

function report(r: AccountsResult) {
  console.log(`accounts.create on ${r.database}: ${r.n} accounts, one transaction + audit row each, median of ${rounds} rounds`);
  console.log(`  accountCreator command   ${String(r.commandOpsPerSec).padStart(7)} ops/s  (${r.commandMs} ms)`);
  console.log(`  bare driver baseline     ${String(r.baselineOpsPerSec).padStart(7)} ops/s  (${r.baselineMs} ms)`);
  console.log(`  ratio command/baseline   ${r.ratio.toFixed(3)}  (${(1 / r.ratio).toFixed(2)}x the baseline's time per account)`);
}

async function accounts() {
  const results: AccountsResult[] = [];
  const skipped: Record<string, string> = {};
  results.push(await measure(() => benchSqlite(n)));
  report(results[results.length - 1] as AccountsResult);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await measure(() => benchPostgres(n, pgUrl)));
    report(results[results.length - 1] as AccountsResult);
  } else {
    skipped.postgres = "set LICENSOR_TEST_PG_URL (or DATABASE_URL) to a postgres:// URL to include PostgreSQL";
    console.log(`postgres: skipped (${skipped.postgres})`);
  }
  return { benchmark: "accounts.create", n, rounds, results, skipped };
}

async function keys() {
  const opts = keysOptionsFromEnv();
  const { results, skipped } = await benchKeys(opts);
  const { date: _date, node: _node, cpus: _cpus, ...rest } = keysSummary(opts, results, skipped);
  return rest;
}

/** Redemption over HTTP needs the built server (`npm run build:server`). */
async function redeem() {
  const results: RedeemResult[] = [];
  results.push(await benchRedeem("sqlite", pgUrl));
  reportRedeem(results[0] as RedeemResult);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await benchRedeem("postgres", pgUrl));
    reportRedeem(results[1] as RedeemResult);
  }
  return { benchmark: "redeem", results };
}

/** The redeem page's weight needs the built portal (`npm run build`) and Chromium. */
async function page() {
  const r = await benchPageWeight();
  reportPageWeight(r);
  return { benchmark: "pageWeight", ...r };
}

/** Latency of redemptions, lists and health while a 1M-key load runs, beside the same with no load (built server). */
async function loadlatency() {
  const results: LoadLatencyResult[] = [await benchLoadLatency("sqlite", pgUrl)];
  reportLoadLatency(results[0] as LoadLatencyResult);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await benchLoadLatency("postgres", pgUrl));
    reportLoadLatency(results[1] as LoadLatencyResult);
  }
  return { benchmark: "loadlatency", results };
}

/** Licenses signed per second beside a bare crypto.sign loop, in this process. */
function sign() {
  const r = benchLicenseSign();
  console.log(`license.sign: ${r.licensesPerSec} license files/s, ${r.jwsPerSec} JWS/s, bare crypto.sign ${r.barePerSec}/s`);
  console.log(`  ratio file/bare ${r.ratio}, JWS/bare ${r.jwsRatio} (target 0.8)`);
  return r;
}

/** Activations over HTTP beside redemptions on the same server and a bare signing loop (built server). */
async function activate() {
  const results = [await benchActivate("sqlite", pgUrl)];
  reportActivate(results[0] as Awaited<ReturnType<typeof benchActivate>>);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await benchActivate("postgres", pgUrl));
    reportActivate(results[1] as Awaited<ReturnType<typeof benchActivate>>);
  }
  return { benchmark: "activate", results };
}

/** A bulk entitlement's report (1,000,000 keys, 100,000 redemptions) over HTTP beside the bare SQL aggregate (built server). */
async function reports() {
  const results: ReportBenchResult[] = [await benchReport("sqlite", pgUrl)];
  reportReport(results[0] as ReportBenchResult);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await benchReport("postgres", pgUrl));
    reportReport(results[1] as ReportBenchResult);
  }
  return { benchmark: "report", results };
}

/** SOAP createWebRegKey and getWebRegKeysQuery beside the same work over REST and a bare-driver floor (built server). */
async function soap() {
  const results: SoapBenchResult[] = [await benchSoap("sqlite", pgUrl)];
  reportSoap(results[0] as SoapBenchResult);
  if (/^postgres(ql)?:\/\//.test(pgUrl)) {
    results.push(await benchSoap("postgres", pgUrl));
    reportSoap(results[1] as SoapBenchResult);
  }
  return { benchmark: "soap", results };
}

/** Redemptions with 3 webhook endpoints beside none, on the built server (`npm run build:server`). */
async function webhooks() {
  const results: WebhookBenchResult[] = [];
  // BENCH_WEBHOOK_DB=sqlite or postgres runs one database only.
  const which = process.env.BENCH_WEBHOOK_DB;
  if (which !== "postgres") {
    results.push(await benchWebhooks("sqlite", pgUrl));
    reportWebhooks(results[0] as WebhookBenchResult);
  }
  if (which !== "sqlite" && /^postgres(ql)?:\/\//.test(pgUrl)) {
    const r = await benchWebhooks("postgres", pgUrl);
    results.push(r);
    reportWebhooks(r);
  }
  return { benchmark: "webhooks", results };
}

const benchmarks: Record<string, unknown>[] = [];
if (only === "" || only === "accounts") benchmarks.push(await accounts());
if (only === "" || only === "keys") benchmarks.push(await keys());
if (only === "" || only === "redeem") benchmarks.push(await redeem());
if (only === "" || only === "page") benchmarks.push(await page());
if (only === "" || only === "loadlatency") benchmarks.push(await loadlatency());
if (only === "" || only === "sign") benchmarks.push({ ...sign() });
if (only === "" || only === "activate") benchmarks.push(await activate());
if (only === "" || only === "report") benchmarks.push(await reports());
if (only === "" || only === "soap") benchmarks.push(await soap());
if (only === "" || only === "webhooks") benchmarks.push(await webhooks());

const summary = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  /** One-minute load average at the end: other work on the machine during the run. */
  loadAverage: Math.round((os.loadavg()[0] as number) * 10) / 10,
  benchmarks,
};
const out = path.join(import.meta.dirname, ".out");
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "latest.json"), `${JSON.stringify(summary, null, 2)}\n`);
console.log(JSON.stringify(summary));
