import type { Actor } from "../actor.js";
import { errors } from "../errors.js";
import { accountPolicy } from "./accounts.js";
import { auditPolicy } from "./audit.js";
import { emailPolicy } from "./email.js";
import { entitlementPolicy } from "./entitlements.js";
import { eventPolicy } from "./events.js";
import { fulfillmentPolicy } from "./fulfillments.js";
import { jobPolicy } from "./jobs.js";
import { keyPolicy } from "./keys.js";
import { licenseKeyPolicy } from "./licenseKeys.js";
import { licenseModelPolicy } from "./licenseModels.js";
import { partNumberPolicy } from "./partNumbers.js";
import { partnerTierPolicy } from "./partnerTiers.js";
import { productPolicy } from "./products.js";
import { reportPolicy } from "./reports.js";
import { settingsPolicy } from "./settings.js";
import { splitPolicy } from "./splits.js";
import { tokenPolicy } from "./tokens.js";
import { userPolicy } from "./users.js";
import { webhookPolicy } from "./webhooks.js";

/** One policy file per resource, merged: action name → predicate. */
const policies = {
  ...accountPolicy,
  ...userPolicy,
  ...tokenPolicy,
  ...productPolicy,
  ...licenseModelPolicy,
  ...partNumberPolicy,
  ...partnerTierPolicy,
  ...auditPolicy,
  ...settingsPolicy,
  ...entitlementPolicy,
  ...keyPolicy,
  ...jobPolicy,
  ...licenseKeyPolicy,
  ...emailPolicy,
  ...fulfillmentPolicy,
  ...splitPolicy,
  ...reportPolicy,
  ...webhookPolicy,
  ...eventPolicy,
};
type Policies = typeof policies;
export type Action = keyof Policies;
type RecordOf<A extends Action> = Parameters<Policies[A]>[1];

/** True when `actor` may perform `action` (on `record`, for record-level actions). */
export function can<A extends Action>(
  actor: Actor,
  action: A,
  ...record: RecordOf<A> extends undefined ? [] : [RecordOf<A>]
): boolean {
  if (actor.type === "system") return true;
  const rule = policies[action] as (a: Actor, r?: unknown) => boolean;
  return rule(actor, record[0]);
}

/** Throws 403 unless allowed. Every route (or the command it calls) calls this before acting. */
export function authorize<A extends Action>(
  actor: Actor,
  action: A,
  ...record: RecordOf<A> extends undefined ? [] : [RecordOf<A>]
): void {
  if (!can(actor, action, ...record)) throw errors.forbidden();
}

export const ACTIONS = Object.keys(policies) as Action[];
