import type { RenewBody } from "../../../../common/src/api/lifecycle.js";
import { derivedLineItemState, renewalTerms } from "../../../../common/src/rules/lifecycle.js";
import type { DurationUnit, StartDateOption, VersionDateOption } from "../../../../common/src/rules/terms.js";
import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import { loadSettings } from "../../db/repos/settings.js";
import type { Db } from "../../db/schema.js";
import { errors } from "../../errors.js";
import { bool, nowIso } from "../../util.js";
import { emitLineItems } from "../domainEvents.js";
import { recordEvent, retryOnIdCollision } from "../entitlementSupport.js";
import {
  claimEntitlement,
  claimLineItem,
  inputOf,
  insertDerivedLineItem,
  type LifecycleResult,
  loadForOp,
  refuse,
  resultOf,
} from "./lifecycleSupport.js";

/** The request body, as the route validated it (common/src/api/lifecycle.ts). */
export type RenewLineItemInput = RenewBody;

/**
 * Renew (PRODUCT.md §3): a new RENEWAL line item on the same entitlement, child of the renewed
 * one, with the same products and license model and extended dates — by default starting where
 * the parent's effective expiry ends and lasting as long as the parent did. The parent is kept.
 * Refused for INACTIVE/OBSOLETE entitlements, line items that are not DEPLOYED/TEST, and
 * permanent ones. The new item is DEPLOYED (TEST on a test entitlement).
 */
export async function lineItemRenewer(
  db: Db,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  input: RenewLineItemInput,
): Promise<LifecycleResult> {
  const settings = await loadSettings(db);
  const created = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const { row, item } = await loadForOp(trx, ctx, pk, lineItemId, "RENEW", ["entitlement.update"]);
      const activationId = item.activation_id ?? "";
      const plan = renewalTerms(
        activationId,
        {
          startDateOption: item.start_date_option as StartDateOption,
          startDate: item.start_date,
          isPermanent: bool(item.is_permanent),
          term:
            item.term_count != null && item.term_unit ? { count: item.term_count, unit: item.term_unit as DurationUnit } : null,
          expirationDate: item.expiration_date,
          versionDateOption: item.version_date_option as VersionDateOption | null,
          versionDate: item.version_date,
        },
        input,
      );
      if ("refusal" in plan) refuse(plan.refusal);
      if ("problems" in plan) throw errors.validationMany(plan.problems);
      const now = nowIso();
      await claimEntitlement(trx, ctx, row, now);
      // Keep the parent as it is, but hold it: a concurrent state change waits for this renewal.
      await claimLineItem(trx, item, now, {}, item.number_of_copies);
      const t = plan.terms;
      const copies = input.numberOfCopies ?? item.number_of_copies;
      const child = await insertDerivedLineItem(trx, {
        row,
        parent: item,
        input: {
          ...inputOf(item),
          startDateOption: t.startDateOption,
          startDate: t.startDate ?? null,
          isPermanent: false,
          term: t.term ?? null,
          expirationDate: t.expirationDate ?? null,
          versionDateOption: t.versionDateOption ?? null,
          versionDate: t.versionDate ?? null,
          numberOfCopies: copies,
          type: "RENEWAL",
        },
        state: derivedLineItemState(row.state),
        settings,
        now,
      });
      const until = t.term ? `for ${t.term.count} ${t.term.unit.toLowerCase()}` : `until ${t.expirationDate}`;
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_PROPERTY_CHANGED",
        `Line item ${activationId} renewed: renewal ${child.activationId} (${copies} ${copies === 1 ? "copy" : "copies"}) from ${t.startDate} ${until}`,
      );
      await recordAudit(trx, ctx, {
        action: "entitlement.line_item_renewed",
        objectType: "line_item",
        objectId: child.id,
        after: {
          parentLineItemId: item.id,
          parentActivationId: activationId,
          activationId: child.activationId,
          startDate: t.startDate,
          term: t.term,
          expirationDate: t.expirationDate,
          numberOfCopies: copies,
        },
      });
      await emitLineItems(trx, ctx, "line_item.created", pk, [child.id], {
        via: "renewal",
        parentLineItemId: item.id,
        parentActivationId: activationId,
      });
      return child.id;
    }),
  );
  return resultOf(db, pk, created);
}
