import { TIER_END_CUSTOMER } from "../enums.js";
import type { FieldProblem } from "../errors.js";
import { addTerm, type DurationUnit, effectiveExpiry, isDay, type TermsInput, termsProblems } from "./terms.js";

/**
 * Rules of the lifecycle operations on simple entitlements and their line items (PRODUCT.md §3
 * "Lifecycle operations on line items", fno-notes §5): renew, upgrade, upsell, transfer an
 * entitlement or N copies of a line item, merge accounts. Pure and shared: the server commands in
 * `server/src/commands/lifecycle/` load the rows, apply these and write; the portal offers an
 * action only where these allow it.
 */

export type LifecycleOp = "RENEW" | "UPGRADE" | "UPSELL" | "TRANSFER" | "TRANSFER_LINE_ITEM";

const VERB: Record<LifecycleOp, string> = {
  RENEW: "renewed",
  UPGRADE: "upgraded",
  UPSELL: "upsold",
  TRANSFER: "transferred",
  TRANSFER_LINE_ITEM: "transferred",
};

/** Operations that make new rights from a line item (FNO: not while INACTIVE). */
const GROWS: readonly LifecycleOp[] = ["RENEW", "UPGRADE", "UPSELL"];

/** A refusal: `invalid` is the caller's input (400), `state` the data's state (409). */
export interface Refusal {
  status: "invalid" | "state";
  field: string;
  message: string;
}

export interface EntitlementFacts {
  entitlementId: string;
  kind: string;
  state: string;
}

export interface LineItemFacts {
  activationId: string;
  state: string;
}

/**
 * Why the entitlement refuses the operation, or null. TEST entitlements allow everything;
 * OBSOLETE allows nothing new; INACTIVE no renew/upgrade/upsell; ON_HOLD waits for approval;
 * DRAFT must be deployed before it grows; bulk entitlements are never transferred (they are split).
 */
export function entitlementOpProblem(op: LifecycleOp, e: EntitlementFacts): string | null {
  const what = `Entitlement ${e.entitlementId}`;
  if (e.kind === "BULK") {
    return op === "TRANSFER" || op === "TRANSFER_LINE_ITEM"
      ? `${what} is a bulk entitlement; a bulk entitlement cannot be transferred — it can be split (move unredeemed keys to a related account).`
      : `${what} is a bulk entitlement; renew, upgrade and upsell work on the simple entitlements its keys are redeemed into.`;
  }
  if (e.state === "TEST") return null;
  if (e.state === "OBSOLETE") return `${what} is OBSOLETE; nothing new can be done with it, so it cannot be ${VERB[op]}.`;
  if (e.state === "ON_HOLD") return `${what} is ON_HOLD awaiting producer approval; approve it before it can be ${VERB[op]}.`;
  if (GROWS.includes(op)) {
    if (e.state === "INACTIVE")
      return `${what} is INACTIVE; it cannot be ${VERB[op]} until it is DEPLOYED again (no renew, upgrade or upsell while INACTIVE).`;
    if (e.state !== "DEPLOYED") return `${what} is ${e.state}; deploy it before a line item can be ${VERB[op]}.`;
  }
  return null;
}

/** Why the line item refuses the operation, or null: only DEPLOYED or TEST items grow; OBSOLETE ones never move. */
export function lineItemOpProblem(op: LifecycleOp, li: LineItemFacts): string | null {
  const what = `Line item ${li.activationId}`;
  if (li.state === "OBSOLETE") return `${what} is OBSOLETE; nothing new can be done with it, so it cannot be ${VERB[op]}.`;
  if (GROWS.includes(op) && li.state !== "DEPLOYED" && li.state !== "TEST") {
    return `${what} is ${li.state}; only DEPLOYED or TEST line items can be ${VERB[op]}.`;
  }
  return null;
}

/** The state a renewal, upgrade or upsell line item starts in: DEPLOYED on a DEPLOYED entitlement, else TEST. */
export function derivedLineItemState(entitlementState: string): "DEPLOYED" | "TEST" {
  return entitlementState === "TEST" ? "TEST" : "DEPLOYED";
}

/** What happens to the parent line item when copies leave it. */
export type ParentOutcome =
  | { kind: "REDUCE"; remaining: number }
  /** All copies left: the parent becomes OBSOLETE (its copies stay as they were, for the record). */
  | { kind: "RETIRE" }
  /** A full upgrade that keeps the parent as it is (retireParent false). */
  | { kind: "KEEP" };

const wholeCountProblem = (count: number, copies: number, activationId: string): Refusal | null => {
  if (!Number.isInteger(count) || count < 1)
    return { status: "invalid", field: "count", message: "must be a whole number of at least 1" };
  if (count > copies)
    return {
      status: "invalid",
      field: "count",
      message: `line item ${activationId} has only ${copies} ${copies === 1 ? "copy" : "copies"}; ${count} cannot move`,
    };
  return null;
};

const fulfilledWords = (fulfilled: number) => `${fulfilled} of its copies ${fulfilled === 1 ? "is" : "are"} fulfilled`;

/**
 * An upgrade of `count` copies (default: all). A partial upgrade takes the copies from the parent,
 * which may not drop below its fulfilled count; a full one retires the parent (OBSOLETE, needs no
 * fulfilled copies) unless `retireParent` is false, which keeps the parent unchanged beside the upgrade.
 */
export function upgradePlan(a: {
  activationId: string;
  copies: number;
  fulfilled: number;
  count?: number | null | undefined;
  retireParent?: boolean | null | undefined;
}): { count: number; parent: ParentOutcome } | Refusal {
  const count = a.count ?? a.copies;
  const bad = wholeCountProblem(count, a.copies, a.activationId);
  if (bad) return bad;
  if (count < a.copies) {
    if (a.retireParent === true) {
      return {
        status: "invalid",
        field: "retireParent",
        message: `only an upgrade of all ${a.copies} copies retires line item ${a.activationId}; a partial upgrade reduces its copies`,
      };
    }
    const remaining = a.copies - count;
    if (remaining < a.fulfilled) {
      return {
        status: "state",
        field: "count",
        message: `Line item ${a.activationId} cannot drop to ${remaining} copies: ${fulfilledWords(a.fulfilled)}. Upgrade at most ${a.copies - a.fulfilled}, or return fulfillments first.`,
      };
    }
    return { count, parent: { kind: "REDUCE", remaining } };
  }
  if (a.retireParent === false) return { count, parent: { kind: "KEEP" } };
  if (a.fulfilled > 0) {
    return {
      status: "state",
      field: "count",
      message: `Line item ${a.activationId} cannot give up all ${a.copies} copies: ${fulfilledWords(a.fulfilled)}. Return the fulfillments first${a.copies > a.fulfilled ? `, or upgrade at most ${a.copies - a.fulfilled}` : ""}.`,
    };
  }
  return { count, parent: { kind: "RETIRE" } };
}

/**
 * Transfer of `count` copies of a line item: the copies must be unfulfilled ones (the source never
 * drops below its fulfilled count); all copies retire the source item; keeping the activation ID
 * is possible only when all copies move.
 */
export function lineItemTransferPlan(a: {
  activationId: string;
  copies: number;
  fulfilled: number;
  count: number;
  keepIds?: boolean | null | undefined;
}): { count: number; parent: ParentOutcome } | Refusal {
  const bad = wholeCountProblem(a.count, a.copies, a.activationId);
  if (bad) return bad;
  const all = a.count === a.copies;
  if (a.keepIds && !all) {
    return {
      status: "invalid",
      field: "keepIds",
      message: `the activation ID can be kept only when all ${a.copies} copies move; a partial transfer gets a new activation ID`,
    };
  }
  if (all) {
    if (a.fulfilled > 0) {
      return {
        status: "state",
        field: "count",
        message: `Line item ${a.activationId} has fulfillments (${fulfilledWords(a.fulfilled)}); return the fulfillments first${a.copies > a.fulfilled ? `, or transfer at most ${a.copies - a.fulfilled}` : ""}.`,
      };
    }
    return { count: a.count, parent: { kind: "RETIRE" } };
  }
  const remaining = a.copies - a.count;
  if (remaining < a.fulfilled) {
    return {
      status: "state",
      field: "count",
      message: `Line item ${a.activationId} cannot drop to ${remaining} copies: ${fulfilledWords(a.fulfilled)}. Transfer at most ${a.copies - a.fulfilled}, or return fulfillments first.`,
    };
  }
  return { count: a.count, parent: { kind: "REDUCE", remaining } };
}

/** Whole days from `a` to `b` (both YYYY-MM-DD). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

export interface RenewInput {
  term?: { count: number; unit: DurationUnit } | null | undefined;
  expirationDate?: string | null | undefined;
  startDate?: string | null | undefined;
}

/**
 * The dates of a renewal line item. It starts where the parent's effective expiry ends (or on
 * `startDate`), and lasts `term`, or until `expirationDate`, or — given neither — as long as the
 * parent did (its term, or the days between its fixed start and expiration date). It must end after
 * the parent. Permanent parents have nothing to renew.
 */
export function renewalTerms(
  activationId: string,
  parent: TermsInput,
  input: RenewInput,
): { terms: TermsInput; parentExpiry: string | null } | { refusal: Refusal } | { problems: FieldProblem[] } {
  if (parent.isPermanent) {
    return {
      refusal: {
        status: "state",
        field: "isPermanent",
        message: `Line item ${activationId} is permanent; there is nothing to renew.`,
      },
    };
  }
  if (input.term != null && input.expirationDate != null) {
    return { problems: [{ field: "term", message: "give either a term or an expiration date, not both" }] };
  }
  const parentExpiry = effectiveExpiry(parent);
  const start = input.startDate ?? parentExpiry;
  if (start == null) {
    return {
      problems: [
        {
          field: "startDate",
          message: `is required: line item ${activationId} gets its expiry at its first activation, so the renewal cannot start where it ends`,
        },
      ],
    };
  }
  let term = input.term ?? null;
  let expirationDate = input.expirationDate ?? null;
  if (term == null && expirationDate == null) {
    if (parent.term) term = { count: parent.term.count, unit: parent.term.unit };
    else if (parent.expirationDate && parent.startDate && parent.startDateOption === "DEFINE_NOW") {
      const days = daysBetween(parent.startDate, parent.expirationDate);
      if (days >= 1 && isDay(start)) expirationDate = addTerm(start, { count: days, unit: "DAYS" });
    }
    if (term == null && expirationDate == null) {
      return {
        problems: [
          {
            field: "term",
            message: `give a term or an expiration date: the length of line item ${activationId} is not known before its first activation`,
          },
        ],
      };
    }
  }
  const terms: TermsInput = {
    startDateOption: "DEFINE_NOW",
    startDate: start,
    isPermanent: false,
    term,
    expirationDate,
    versionDateOption: parent.versionDateOption ?? null,
    versionDate: parent.versionDate ?? null,
  };
  const problems = termsProblems(terms);
  if (problems.length) return { problems };
  const newExpiry = effectiveExpiry(terms);
  if (parentExpiry && newExpiry && newExpiry <= parentExpiry) {
    return {
      problems: [
        {
          field: input.expirationDate != null ? "expirationDate" : "term",
          message: `the renewal would end on ${newExpiry}, not after the current expiry ${parentExpiry}; a renewal extends the line item`,
        },
      ],
    };
  }
  return { terms, parentExpiry };
}

/** FNO's rename of the source IDs when a transfer keeps them (current docs: `-TRANSFERRED-<epochMillis>`). */
export function transferredId(id: string, epochMillis: number): string {
  return `${id}-TRANSFERRED-${epochMillis}`;
}

export interface PartnerEntry {
  tier: string;
  accountId: string;
  contactUserId: string | null;
  currentOwner: boolean;
}

/**
 * Channel partners of a transferred entitlement: the target account becomes End Customer and
 * current owner; the other tiers are copied (no longer owners).
 */
export function transferredPartners(partners: PartnerEntry[], targetAccountId: string): PartnerEntry[] {
  return [
    { tier: TIER_END_CUSTOMER, accountId: targetAccountId, contactUserId: null, currentOwner: true },
    ...partners.filter((p) => p.tier !== TIER_END_CUSTOMER).map((p) => ({ ...p, currentOwner: false })),
  ];
}

/** The account a transfer takes the entitlement from: its End Customer, else its current owner. */
export function currentHolder(partners: PartnerEntry[]): string | null {
  return partners.find((p) => p.tier === TIER_END_CUSTOMER)?.accountId ?? partners.find((p) => p.currentOwner)?.accountId ?? null;
}

export interface ProductLabel {
  id: string;
  name: string;
  version: string;
}

/**
 * The product of the line item that is related (UPGRADE: "upgrade to", UPSELL: "upsell to") to the
 * target product, or the refusal naming what the line item's products can go to.
 */
export function relatedSourceProduct(
  kind: "UPGRADE" | "UPSELL",
  itemProducts: ProductLabel[],
  relations: { productId: string; relatedProductId: string; kind: string }[],
  target: ProductLabel,
  labels: Map<string, ProductLabel>,
): { sourceProductId: string } | Refusal {
  const from = itemProducts.find((p) =>
    relations.some((r) => r.kind === kind && r.productId === p.id && r.relatedProductId === target.id),
  );
  if (from) return { sourceProductId: from.id };
  const label = (p: ProductLabel) => `'${p.name} ${p.version}'`;
  const options = relations
    .filter((r) => r.kind === kind && itemProducts.some((p) => p.id === r.productId))
    .map((r) => labels.get(r.relatedProductId))
    .filter((p): p is ProductLabel => p !== undefined)
    .map(label);
  const what = kind === "UPGRADE" ? "an upgrade" : "an upsell";
  const rel = kind === "UPGRADE" ? "upgraded to" : "upsold to";
  return {
    status: "invalid",
    field: "productId",
    message: `product ${label(target)} is not ${what} of ${itemProducts.map(label).join(", ")}; ${
      options.length ? `it can be ${rel} ${[...new Set(options)].join(", ")}` : `no product is set as its "${rel}" product`
    }`,
  };
}

/** How a line item came from its parent: a transfer when they sit on different entitlements, else its type. */
export function lineageRelation(
  child: { entitlementPk: string; lineItemType: string | null },
  parent: { entitlementPk: string } | null,
): string | null {
  if (!parent) return null;
  if (parent.entitlementPk !== child.entitlementPk) return "TRANSFER";
  return child.lineItemType ?? "DERIVED";
}
