import type { UpsellBody } from "../../../../common/src/api/lifecycle.js";
import { derivedLineItemState } from "../../../../common/src/rules/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import { recordAudit } from "../../audit.js";
import { loadSettings } from "../../db/repos/settings.js";
import type { Db } from "../../db/schema.js";
import { errors } from "../../errors.js";
import { nowIso } from "../../util.js";
import { emitLineItems } from "../domainEvents.js";
import { recordEvent, retryOnIdCollision } from "../entitlementSupport.js";
import type { ProductConfigInput } from "../lineItemConfig.js";
import {
  claimEntitlement,
  claimLineItem,
  inputOf,
  insertDerivedLineItem,
  type LifecycleResult,
  loadForOp,
  relatedTarget,
  resultOf,
  targetConfig,
} from "./lifecycleSupport.js";

/** The request body, as the route validated it (common/src/api/lifecycle.ts). */
export type UpsellLineItemInput = UpsellBody;

/**
 * Upsell (PRODUCT.md §3): more copies or more features. A new UPSELL line item, child of the
 * upsold one, with `additionalCopies` copies (default the parent's) of the upsell product (or the
 * same products), same dates. The parent is kept as it is.
 */
export async function lineItemUpseller(
  db: Db,
  ctx: RequestContext,
  pk: string,
  lineItemId: string,
  input: UpsellLineItemInput,
): Promise<LifecycleResult> {
  if (input.additionalCopies != null && (!Number.isInteger(input.additionalCopies) || input.additionalCopies < 1))
    throw errors.validation("additionalCopies", "must be a whole number of at least 1");
  const settings = await loadSettings(db);
  const created = await retryOnIdCollision(() =>
    db.transaction().execute(async (trx) => {
      const { row, item } = await loadForOp(trx, ctx, pk, lineItemId, "UPSELL", ["entitlement.update"]);
      const activationId = item.activation_id ?? "";
      const related = input.productId ? await relatedTarget(trx, "UPSELL", item, input.productId) : null;
      const copies = input.additionalCopies ?? item.number_of_copies;
      let config: ProductConfigInput;
      if (related) config = await targetConfig(trx, item, related, input);
      else {
        const base = inputOf(item);
        const modelChanged = input.licenseModelId != null && input.licenseModelId !== base.licenseModelId;
        config = modelChanged
          ? {
              ...base,
              licenseModelId: input.licenseModelId,
              alternateLicenseModelIds: [],
              licenseModelAttributes: input.licenseModelAttributes ?? {},
            }
          : { ...base, licenseModelAttributes: { ...base.licenseModelAttributes, ...input.licenseModelAttributes } };
      }
      const now = nowIso();
      await claimEntitlement(trx, ctx, row, now);
      await claimLineItem(trx, item, now, {}, item.number_of_copies);
      const child = await insertDerivedLineItem(trx, {
        row,
        parent: item,
        input: { ...config, numberOfCopies: copies, type: "UPSELL" },
        state: derivedLineItemState(row.state),
        settings,
        now,
        fieldOf: (f) => (f === "numberOfCopies" ? "additionalCopies" : f.startsWith("products[") ? "productId" : f),
      });
      const what = `${copies} ${copies === 1 ? "copy" : "copies"}${related ? ` of ${related.label}` : ""}`;
      await recordEvent(
        trx,
        ctx,
        pk,
        "EVENT_PROPERTY_CHANGED",
        `Line item ${activationId} upsold: upsell ${child.activationId} (${what})`,
      );
      await recordAudit(trx, ctx, {
        action: "entitlement.line_item_upsold",
        objectType: "line_item",
        objectId: child.id,
        after: {
          parentLineItemId: item.id,
          parentActivationId: activationId,
          activationId: child.activationId,
          productId: related?.target.id ?? null,
          numberOfCopies: copies,
        },
      });
      await emitLineItems(trx, ctx, "line_item.created", pk, [child.id], {
        via: "upsell",
        parentLineItemId: item.id,
        parentActivationId: activationId,
      });
      return child.id;
    }),
  );
  return resultOf(db, pk, created);
}
