import type { FieldProblem } from "../errors.js";
import { type AttributeDefinition, attributeValueProblem } from "./catalog.js";
import { addTerm, type DurationUnit, isDay } from "./terms.js";

/**
 * Licenses (issue 14): the pure rules of activating a line item and of return, rehost and repair
 * under a license model's policies. The server applies them inside its transaction; the portal
 * may show the same words before sending.
 */

/** States a line item and its entitlement may be in for a license to be generated. */
export const ACTIVATABLE_STATES = ["DEPLOYED", "TEST"] as const;

export interface ActivationItem {
  kind: string;
  entitlementState: string;
  state: string;
  activationId: string;
  licenseModelId: string | null;
  startDateOption: string;
  startDate: string | null;
  isPermanent: boolean;
  termCount: number | null;
  termUnit: string | null;
  expirationDate: string | null;
  versionDateOption: string | null;
  versionDate: string | null;
  numberOfCopies: number;
  fulfilledCount: number;
}

const refusedState: Record<string, string> = {
  DRAFT: "is DRAFT: deploy it first",
  INACTIVE: "is INACTIVE: no license can be generated from it",
  OBSOLETE: "is OBSOLETE: nothing new can be generated from it",
  ON_HOLD: "is ON_HOLD: no license can be generated from it",
};

/** Why no license can be generated from this line item in its entitlement's and its own state, or null. */
export function activationStateProblem(
  i: Pick<ActivationItem, "kind" | "entitlementState" | "state" | "activationId" | "licenseModelId">,
): string | null {
  if (i.kind !== "SIMPLE")
    return `'${i.activationId}' is a bulk entitlement's ID: licenses are generated from the line items of simple entitlements (redeem a key first).`;
  if (!(ACTIVATABLE_STATES as readonly string[]).includes(i.entitlementState))
    return `The entitlement ${refusedState[i.entitlementState] ?? `is ${i.entitlementState}`}.`;
  if (!(ACTIVATABLE_STATES as readonly string[]).includes(i.state))
    return `Line item ${i.activationId} ${refusedState[i.state] ?? `is ${i.state}`}.`;
  if (!i.licenseModelId) return `Line item ${i.activationId} has no license model: a license cannot be generated from it.`;
  return null;
}

/** What a support action (return, rehost, repair) finds wrong with the states, or null. */
export function supportStateProblem(
  action: SupportAction,
  f: { state: string; fulfillmentId: string },
  item: { state: string; entitlementState: string; activationId: string },
): string | null {
  if (f.state !== "ACTIVE") return `Fulfillment ${f.fulfillmentId} is ${f.state}: only an ACTIVE license can be ${PAST[action]}.`;
  if (item.entitlementState === "INACTIVE") return `The entitlement is INACTIVE: no license of it can be ${PAST[action]}.`;
  if (item.state === "INACTIVE") return `Line item ${item.activationId} is INACTIVE: no license of it can be ${PAST[action]}.`;
  if (action !== "RETURN" && (item.state === "OBSOLETE" || item.entitlementState === "OBSOLETE"))
    return `Line item ${item.activationId} is OBSOLETE: its licenses cannot be ${PAST[action]}, only returned.`;
  return null;
}

/** A date problem; `closed`: the line item cannot be activated today at all (expired, not started). */
export type DateProblem = FieldProblem & { closed?: true };

export interface ResolvedDates {
  start: string;
  expiry: string | null;
  versionDate: string | null;
  /** A start date to write back to the line item (first activation), or null. */
  writeBack: string | null;
}

/**
 * The start, expiry and version date of a license activated `today` from this line item, by its
 * start-date and version-date options (PRODUCT.md §3); or the problem, naming the field. An item
 * whose effective expiry is today or earlier, or whose fixed start is after today, is refused.
 */
export function resolveDates(
  i: ActivationItem,
  given: { startDate?: string | undefined; versionDate?: string | undefined },
  today: string,
): ResolvedDates | DateProblem {
  let start: string;
  let writeBack: string | null = null;
  const g = given.startDate;
  if (g !== undefined && !isDay(g)) return { field: "startDate", message: "must be a date YYYY-MM-DD" };
  switch (i.startDateOption) {
    case "DEFINE_NOW":
      if (!i.startDate) return { field: "startDate", message: "the line item has no start date" };
      if (g !== undefined && g !== i.startDate)
        return { field: "startDate", message: `must be absent or ${i.startDate}: the line item's start date is fixed` };
      if (i.startDate > today)
        return {
          field: "startDate",
          message: `line item ${i.activationId} starts on ${i.startDate}: it cannot be activated before then`,
          closed: true,
        };
      start = i.startDate;
      break;
    case "DEFINE_AT_FIRST_ACTIVATION":
      if (i.startDate) {
        if (g !== undefined && g !== i.startDate)
          return { field: "startDate", message: `must be absent or ${i.startDate}: it was set at the first activation` };
        start = i.startDate;
      } else {
        if (g === undefined)
          return { field: "startDate", message: "is required: this line item's start date is set at its first activation" };
        start = g;
        writeBack = g;
      }
      break;
    case "DEFINE_ACTDATE_AT_FIRST_ACTIVATION":
      if (g !== undefined && g !== (i.startDate ?? today))
        return { field: "startDate", message: "must be absent: the start date is the date of the first activation" };
      start = i.startDate ?? today;
      if (!i.startDate) writeBack = today;
      break;
    case "DEFINE_AT_EACH_ACTIVATION":
      if (g === undefined)
        return { field: "startDate", message: "is required: this line item's start date is given at each activation" };
      start = g;
      break;
    case "DEFINE_ACTDATE_AT_EACH_ACTIVATION":
      if (g !== undefined && g !== today)
        return { field: "startDate", message: "must be absent: the start date is the activation date" };
      start = today;
      break;
    default:
      return { field: "startDate", message: `unknown start date option ${i.startDateOption}` };
  }
  let expiry: string | null = null;
  if (!i.isPermanent) {
    if (i.expirationDate) expiry = i.expirationDate;
    else if (i.termCount && i.termUnit) expiry = addTerm(start, { count: i.termCount, unit: i.termUnit as DurationUnit });
    else return { field: "expirationDate", message: `line item ${i.activationId} has neither a term nor an expiration date` };
  }
  if (expiry !== null && expiry <= today)
    return {
      field: "expirationDate",
      message: `line item ${i.activationId} expired on ${expiry}: no license can be generated from it`,
      closed: true,
    };
  if (expiry !== null && expiry <= start) return { field: "startDate", message: `must be before the expiration date ${expiry}` };
  let versionDate: string | null = null;
  const v = given.versionDate;
  if (v !== undefined && !isDay(v)) return { field: "versionDate", message: "must be a date YYYY-MM-DD" };
  switch (i.versionDateOption) {
    case null:
    case undefined:
      if (v !== undefined) return { field: "versionDate", message: "must be absent: the line item has no version date option" };
      break;
    case "DEFINE_NOW":
      if (v !== undefined && v !== i.versionDate)
        return {
          field: "versionDate",
          message: `must be absent: the line item's version date is fixed (${i.versionDate ?? "none"})`,
        };
      versionDate = i.versionDate;
      break;
    case "USE_START_DATE":
      if (v !== undefined && v !== start)
        return { field: "versionDate", message: "must be absent: the version date is the start date" };
      versionDate = start;
      break;
    case "USE_ACTIVATION_DATE":
      if (v !== undefined && v !== today)
        return { field: "versionDate", message: "must be absent: the version date is the activation date" };
      versionDate = today;
      break;
    default:
      if (v === undefined)
        return { field: "versionDate", message: "is required: this line item's version date is given at activation" };
      versionDate = v;
  }
  return { start, expiry, versionDate, writeBack };
}

/** How many hosts a license model type takes: node-locked one or more, FLOATING 1 or 3 license servers. */
export function hostCountProblem(modelType: string, n: number): string | null {
  if (modelType === "FLOATING" && n !== 1 && n !== 3) return `a FLOATING license is served by 1 or 3 license servers, not ${n}`;
  if (n < 1) return "at least one host is required";
  return null;
}

/** The copies a license takes: the given count, by default the number of hosts for NODE_LOCKED_UNCOUNTED (which must equal it) and 1 otherwise. */
export function resolveCount(modelType: string, hostCount: number, count: number | undefined): number | FieldProblem {
  if (modelType === "NODE_LOCKED_UNCOUNTED") {
    if (count !== undefined && count !== hostCount)
      return {
        field: "count",
        message: `must equal the number of hosts (${hostCount}) for a NODE_LOCKED_UNCOUNTED license: one copy per host`,
      };
    return hostCount;
  }
  return count ?? 1;
}

export type AttributeValue = string | number | boolean;

/**
 * The fulfillment-time attribute values of a license: given values (by name) checked against the
 * license model's definitions by value type, defaults for the rest, required ones present.
 */
export function resolveAttributes(
  defs: AttributeDefinition[],
  given: Record<string, AttributeValue> | undefined,
): { values: Record<string, AttributeValue> } | { problems: FieldProblem[] } {
  const fulfillment = defs.filter((d) => d.time === "FULFILLMENT");
  const problems: FieldProblem[] = [];
  const values: Record<string, AttributeValue> = {};
  for (const name of Object.keys(given ?? {})) {
    if (!fulfillment.some((d) => d.name === name))
      problems.push({
        field: `attributes.${name}`,
        message:
          fulfillment.length === 0
            ? "the license model has no fulfillment-time attributes"
            : `is not a fulfillment-time attribute of the license model (${fulfillment.map((d) => d.name).join(", ")})`,
      });
  }
  for (const d of fulfillment) {
    const raw = given?.[d.name];
    const text = raw === undefined ? d.defaultValue : String(raw);
    if (text === null || text === "") {
      if (d.required) problems.push({ field: `attributes.${d.name}`, message: "is required and has no default value" });
      continue;
    }
    const p = attributeValueProblem(d.valueType, text, d.allowedValues);
    if (p) {
      problems.push({ field: `attributes.${d.name}`, message: p });
      continue;
    }
    values[d.name] = d.valueType === "NUMBER" ? Number(text) : d.valueType === "BOOLEAN" ? text === "true" : text;
  }
  return problems.length ? { problems } : { values };
}

export function copiesProblem(available: number, total: number, asked: number): string {
  return `Only ${available} of ${total} copies ${available === 1 ? "is" : "are"} available; this license needs ${asked}.`;
}

// ---------------------------------------------------------------------------------------------
// Support policies

export type SupportAction = "RETURN" | "REHOST" | "REPAIR";
const PAST: Record<SupportAction, string> = { RETURN: "returned", REHOST: "rehosted", REPAIR: "repaired" };
const NOUN: Record<SupportAction, string> = { RETURN: "returns", REHOST: "rehosts", REPAIR: "repairs" };

export interface PolicyWindowValue {
  count: number;
  unit: DurationUnit;
}

/** The instant the policy window ending at `now` starts, ISO; null for a line item's whole life. */
export function windowStart(now: Date, window: PolicyWindowValue | null): string | null {
  if (!window) return null;
  // Subtract by adding a negative term, in calendar arithmetic, keeping the time of day.
  const day = now.toISOString().slice(0, 10);
  const back = addTerm(day, { count: -window.count, unit: window.unit });
  return `${back}${now.toISOString().slice(10)}`;
}

/**
 * Why one more `action` is past the policy: `used` already in the window (the oldest of them at
 * `oldestAt`, ISO), `allowed` (null: unlimited). Null when it is allowed.
 */
export function policyProblem(
  action: SupportAction,
  used: number,
  allowed: number | null,
  window: PolicyWindowValue | null,
  oldestAt: string | null,
): string | null {
  if (allowed === null || used < allowed) return null;
  const noun = NOUN[action];
  if (!window) return `${used} of ${allowed} ${noun} allowed over the line item's life already used.`;
  const next = oldestAt ? addTerm(oldestAt.slice(0, 10), window) : null;
  return `${used} of ${allowed} ${noun} allowed per ${window.count} ${window.unit} already used${next ? `; next one possible on ${next}` : ""}.`;
}

// ---------------------------------------------------------------------------------------------
// Extra activations (FNO's overdraft)

/** How many more extra activations the policy leaves (null: unlimited). */
export function extraActivationsLeft(used: number, allowed: number | null): number | null {
  return allowed === null ? null : Math.max(0, allowed - used);
}

/**
 * Why an activation asking `asked` copies, of which only `available` of `total` are left, may not
 * take the missing ones as extra activations: `used` extra copies already taken in the window,
 * `allowed` by the license model (null: unlimited). Null when the policy leaves enough.
 */
export function extraActivationProblem(
  available: number,
  total: number,
  asked: number,
  used: number,
  allowed: number | null,
  window: PolicyWindowValue | null,
): string | null {
  const missing = asked - available;
  const left = extraActivationsLeft(used, allowed);
  if (left === null || missing <= left) return null;
  const only = `Only ${available} of ${total} copies ${available === 1 ? "is" : "are"} available`;
  if (allowed === 0) return `${copiesProblem(available, total, asked)} The license model allows no extra activations.`;
  const period = window ? `per ${window.count} ${window.unit}` : "over the line item's life";
  const tally = `${used} of ${allowed} used ${period}`;
  if (left === 0) return `${only} and the license model allows no more extra activations (${tally}).`;
  return `${only}; this license needs ${asked}, and the license model allows only ${left} more extra activation${left === 1 ? "" : "s"} (${tally}).`;
}
