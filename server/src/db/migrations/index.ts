import type { Migration, MigrationProvider } from "kysely";
import * as m0001 from "./0001_foundation.js";
import * as m0002 from "./0002_entitlements.js";
import * as m0003 from "./0003_keys_jobs.js";
import * as m0004 from "./0004_redeem_guard.js";
import * as m0005 from "./0005_redemption_hot_rows.js";
import * as m0006 from "./0006_key_identity.js";
import * as m0007 from "./0007_redeemed_entitlements_own_data.js";
import * as m0009 from "./0009_idempotency_expiry.js";
import * as m0010 from "./0010_staged_key_loads.js";
import * as m0011 from "./0011_job_leases_files.js";
import * as m0012 from "./0012_signing_keys.js";
import * as m0013 from "./0013_mail.js";
import * as m0014 from "./0014_fulfillments.js";
import * as m0015 from "./0015_extra_activations.js";
import * as m0016 from "./0016_reports.js";
import * as m0017 from "./0017_audit_interface.js";
import * as m0018 from "./0018_email_tokens.js";
import * as m0020 from "./0020_account_managers.js";
import * as m0021 from "./0021_events.js";
import * as m0022 from "./0022_webhooks.js";

/** Static list so migrations work the same from source (tests) and from the built `dist/`. */
const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_entitlements": m0002,
  "0003_keys_jobs": m0003,
  "0004_redeem_guard": m0004,
  "0005_redemption_hot_rows": m0005,
  "0006_key_identity": m0006,
  "0007_redeemed_entitlements_own_data": m0007,
  "0009_idempotency_expiry": m0009,
  "0010_staged_key_loads": m0010,
  "0011_job_leases_files": m0011,
  "0012_signing_keys": m0012,
  "0013_mail": m0013,
  "0014_fulfillments": m0014,
  "0015_extra_activations": m0015,
  "0016_reports": m0016,
  "0017_audit_interface": m0017,
  "0018_email_tokens": m0018,
  "0020_account_managers": m0020,
  "0021_events": m0021,
  "0022_webhooks": m0022,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};

/** This build's newest migration: a database whose newest applied one is older is not ready (the readiness probe). */
export const LATEST_MIGRATION = Object.keys(migrations).sort().at(-1) as string;

/** Every migration this build knows, by name. */
export const migrationNames: readonly string[] = Object.keys(migrations);
