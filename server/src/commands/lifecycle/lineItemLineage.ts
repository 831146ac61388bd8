import type { Lineage, LineageEntry } from "../../../../common/src/api/lifecycle.js";
import { lineageRelation } from "../../../../common/src/rules/lifecycle.js";
import type { RequestContext } from "../../actor.js";
import type { Db } from "../../db/schema.js";
import { errors } from "../../errors.js";
import { scopeEntitlements } from "../../policies/entitlements.js";
import { can } from "../../policies/index.js";
import { loadVisibleEntitlement } from "../entitlementSupport.js";

/** Guards against a cycle someone wrote by hand, and against unbounded trees. */
const MAX_STEPS = 1000;

type Row = {
  id: string;
  activation_id: string | null;
  entitlement_id: string;
  eid: string;
  estate: string;
  line_item_type: string | null;
  state: string;
  number_of_copies: number;
  fulfilled_count: number;
  parent_line_item_id: string | null;
};

/**
 * The lineage of a line item through `parent_line_item_id`, across entitlements (renewals,
 * upgrades and upsells stay on the entitlement; transfers cross to another). Callers who are not
 * producer staff see only the line items of entitlements they may read; the others are left out.
 */
export async function lineItemLineage(db: Db, ctx: RequestContext, pk: string, lineItemId: string): Promise<Lineage> {
  await loadVisibleEntitlement(db, ctx, pk);
  const base = () =>
    db
      .selectFrom("line_items as li")
      .innerJoin("entitlements as e", "e.id", "li.entitlement_id")
      .select([
        "li.id",
        "li.activation_id",
        "li.entitlement_id",
        "e.entitlement_id as eid",
        "e.state as estate",
        "li.line_item_type",
        "li.state",
        "li.number_of_copies",
        "li.fulfilled_count",
        "li.parent_line_item_id",
      ])
      .where("li.role", "=", "LINE_ITEM");
  const self = await base().where("li.id", "=", lineItemId).where("li.entitlement_id", "=", pk).executeTakeFirst();
  if (!self) throw errors.notFound("Line item", lineItemId);

  const byId = new Map<string, Row>([[self.id, self]]);
  const ancestors: { row: Row; depth: number }[] = [];
  let cursor = self.parent_line_item_id;
  while (cursor && !byId.has(cursor) && ancestors.length < MAX_STEPS) {
    const row = await base().where("li.id", "=", cursor).executeTakeFirst();
    if (!row) break;
    byId.set(row.id, row);
    ancestors.push({ row, depth: ancestors.length + 1 });
    cursor = row.parent_line_item_id;
  }
  const descendants: { row: Row; depth: number }[] = [];
  let frontier = [self.id];
  for (let depth = 1; frontier.length && descendants.length < MAX_STEPS; depth++) {
    const children = await base()
      .where("li.parent_line_item_id", "in", frontier)
      .orderBy("li.created_at")
      .orderBy("li.id")
      .execute();
    const fresh = children.filter((c) => !byId.has(c.id));
    for (const c of fresh) {
      byId.set(c.id, c);
      descendants.push({ row: c, depth });
    }
    frontier = fresh.map((c) => c.id);
  }

  // What the caller may see, per entitlement: the entitlement policy's scope, null for every one.
  let visible: (entitlementPk: string) => boolean = () => true;
  if (scopeEntitlements(ctx.actor) !== null) {
    const pks = [...new Set([...byId.values()].map((r) => r.entitlement_id))];
    const partners = await db
      .selectFrom("entitlement_partners")
      .select(["entitlement_id", "account_id"])
      .where("entitlement_id", "in", pks)
      .execute();
    const readable = new Set(
      pks.filter((e) =>
        can(ctx.actor, "entitlement.read", {
          accountIds: partners.filter((p) => p.entitlement_id === e).map((p) => p.account_id),
        }),
      ),
    );
    visible = (e) => readable.has(e);
  }
  const entry = (row: Row, depth: number): LineageEntry => {
    const parent = row.parent_line_item_id ? byId.get(row.parent_line_item_id) : undefined;
    return {
      id: row.id,
      activationId: row.activation_id ?? "",
      entitlement: { id: row.entitlement_id, entitlementId: row.eid, state: row.estate },
      lineItemType: row.line_item_type,
      state: row.state,
      numberOfCopies: row.number_of_copies,
      fulfilledCount: row.fulfilled_count,
      parentLineItemId: row.parent_line_item_id,
      relation: parent
        ? lineageRelation(
            { entitlementPk: row.entitlement_id, lineItemType: row.line_item_type },
            { entitlementPk: parent.entitlement_id },
          )
        : row.parent_line_item_id
          ? row.line_item_type
          : null,
      depth,
    };
  };
  return {
    lineItem: entry(self, 0),
    ancestors: ancestors.filter((a) => visible(a.row.entitlement_id)).map((a) => entry(a.row, a.depth)),
    descendants: descendants.filter((d) => visible(d.row.entitlement_id)).map((d) => entry(d.row, d.depth)),
  };
}
