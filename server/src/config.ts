import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  /** PostgreSQL connections per server process. */
  databasePoolSize: number;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  publisherId: string;
  publisherName: string;
  logLevel: string;
  /** Trusted reverse proxies (Fastify `trustProxy`): false, true, a hop count or a list of CIDRs. */
  trustProxy: boolean | number | string;
  /** Force Secure cookies even over plain HTTP (behind a TLS-terminating proxy Fastify already knows). */
  secureCookies: boolean;
  sessionTtlHours: number;
  /** Where the built portal lives; the server serves it at `/`. */
  webDir: string;
  /** The portal's address as end users reach it: printed on key cards and encoded in their QR codes. */
  publicUrl: string;
  /** Redemption abuse controls (per minute; misses before a growing lockout). */
  redeemIpPerMinute: number;
  redeemAccountPerMinute: number;
  redeemMissesBeforeLock: number;
  /** How long a running job's lease lasts before another process may take the job over (ms). */
  jobLeaseMs: number;
  /** How often the holder renews its leases, and every process looks for expired ones (ms). */
  jobLeaseRenewMs: number;
}

/** Reads configuration from the environment; every variable is documented in the README. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const trust = env.LICENSOR_TRUST_PROXY;
  const lease = jobLease(env.LICENSOR_JOB_LEASE_SECONDS, env.LICENSOR_JOB_LEASE_RENEW_SECONDS);
  return {
    port: intOr(env.PORT, 8080),
    host: env.HOST ?? "0.0.0.0",
    dataDir: path.resolve(env.LICENSOR_DATA_DIR ?? "data"),
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: poolSize(env.DATABASE_POOL_SIZE),
    adminEmail: env.LICENSOR_ADMIN_EMAIL || undefined,
    adminPassword: env.LICENSOR_ADMIN_PASSWORD || undefined,
    publisherId: env.LICENSOR_PUBLISHER_ID ?? "PUBLISHER",
    publisherName: env.LICENSOR_PUBLISHER_NAME ?? "Producer",
    logLevel: env.LOG_LEVEL ?? "info",
    trustProxy:
      trust === undefined || trust === "" || trust === "false"
        ? false
        : trust === "true"
          ? true
          : /^\d+$/.test(trust)
            ? Number(trust)
            : trust,
    secureCookies: env.LICENSOR_SECURE_COOKIES === "true",
    sessionTtlHours: intOr(env.LICENSOR_SESSION_TTL_HOURS, 12),
    webDir: path.resolve(env.LICENSOR_WEB_DIR ?? defaultWebDir()),
    redeemIpPerMinute: intOr(env.LICENSOR_REDEEM_IP_PER_MINUTE, 30),
    redeemAccountPerMinute: intOr(env.LICENSOR_REDEEM_ACCOUNT_PER_MINUTE, 60),
    redeemMissesBeforeLock: intOr(env.LICENSOR_REDEEM_MISSES_BEFORE_LOCK, 10),
    jobLeaseMs: lease.leaseMs,
    jobLeaseRenewMs: lease.renewMs,
    publicUrl: (env.LICENSOR_PUBLIC_URL ?? `http://localhost:${intOr(env.PORT, 8080)}`).replace(/\/+$/, ""),
  };
}

/** web/dist of this checkout, whether running from dist/server/src (built) or server/src (tsx). */
function defaultWebDir(): string {
  const candidates = [path.join(import.meta.dirname, "../../../web/dist"), path.join(import.meta.dirname, "../../web/dist")];
  return candidates.find((c) => fs.existsSync(path.join(c, "index.html"))) ?? (candidates[0] as string);
}

/**
 * Default: twice the cores, at least 4. More connections than that on a small machine only add
 * backends competing for the same cores: on 2 vCPUs, 4 instead of 10 kept the redemption
 * benchmark's p99 at half rate under 21 ms in three runs out of three (10: 25–38 ms).
 */
function poolSize(v: string | undefined): number {
  if (v === undefined || v === "") return Math.max(4, 2 * os.availableParallelism());
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000)
    throw new Error(`DATABASE_POOL_SIZE must be a whole number from 1 to 1000 (got '${v}')`);
  return Number(v);
}

/**
 * Job leases: 30 s renewed every 10 s by default, so a crashed process's job is taken over within
 * about 40 s while a holder can miss two renewals (a slow database, a long pause) without losing it.
 * Seconds, fractions allowed (tests use short leases); the renewal must come well within the lease.
 */
function jobLease(lease: string | undefined, renew: string | undefined): { leaseMs: number; renewMs: number } {
  const seconds = (name: string, v: string | undefined, d: number) => {
    if (v === undefined || v === "") return d;
    if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < 0.1 || Number(v) > 3600)
      throw new Error(`${name} must be a number of seconds from 0.1 to 3600 (got '${v}')`);
    return Number(v);
  };
  const leaseS = seconds("LICENSOR_JOB_LEASE_SECONDS", lease, 30);
  const renewS = seconds("LICENSOR_JOB_LEASE_RENEW_SECONDS", renew, Math.min(10, leaseS / 3));
  if (renewS * 2 > leaseS)
    throw new Error(
      `LICENSOR_JOB_LEASE_RENEW_SECONDS (${renewS}) must be at most half of LICENSOR_JOB_LEASE_SECONDS (${leaseS}), so one late renewal does not lose a job`,
    );
  return { leaseMs: Math.round(leaseS * 1000), renewMs: Math.round(renewS * 1000) };
}

function intOr(v: string | undefined, d: number): number {
  const n = v === undefined ? Number.NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : d;
}
