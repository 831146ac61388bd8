import { expect, it } from "vitest";
import { canonicalKey } from "../../common/src/keyCheck.js";
import { actorLabel, systemContext } from "../src/actor.js";
import { openForRedemption, planRedemption } from "../src/commands/keyRedeemer.js";
import { type RedemptionWrites, redemptionSnapshot, writeRedemption } from "../src/db/repos/redemption.js";
import type { Db } from "../src/db/schema.js";
import { DEFAULT_TEMPLATES } from "../src/domain/idTemplates.js";
import { DEFAULT_REDEEMED_ID_TEMPLATE } from "../src/domain/redemption.js";
import { bulkEntitlement } from "./factories.js";
import { describeEachDb } from "./helpers.js";

/**
 * The claim's `status = 'UNREDEEMED'` condition on its own. Concurrency tests cannot show it: a lost
 * race also collides on the redeemed entitlement's ID (`{key}ENT`) or on the key as activation ID,
 * and those unique constraints refuse the second entitlement whether or not the guard is there.
 * Here the writes are planned from a snapshot read before someone else redeemed the key, with an
 * entitlement ID and activation ID of their own, so nothing but the guard stands in the way.
 */

type Snapshot = Awaited<ReturnType<typeof redemptionSnapshot>>;
/** The late redeemer: not the admin whose redemption wins, so the key row tells whose claim it holds. */
const LATE = systemContext("late");

/**
 * The writes keyRedeemer plans (planRedemption) from `snap` for `soldTo`, the entitlement ID and
 * activation ID then changed to ones no one holds: not the key, so neither may collide with a
 * first redemption's.
 */
function plannedWrites(snap: Snapshot, soldTo: string, tag: string) {
  if (!snap.account) throw new Error("the snapshot lacks the account");
  const open = openForRedemption(snap, soldTo);
  if ("pk" in open) throw new Error("the snapshot shows the key redeemed already");
  const { pk, writes } = planRedemption(LATE, snap.account, snap, open, {
    key: canonicalKey(open.keyRow.key),
    soldTo,
    owner: null,
    template: DEFAULT_TEMPLATES.entitlement,
    idTemplate: DEFAULT_REDEEMED_ID_TEMPLATE,
  });
  writes.entitlement.entitlement_id = `LATE-${tag}`;
  writes.lineItem.activation_id = `LATE-ACT-${tag}`;
  return { pk, writes };
}

/** The bulk entitlement's record of redemptions: its key.redeemed audit events and history entries. */
async function bulkTrail(db: Db, bulkPk: string) {
  const [audits, events] = await Promise.all([
    db.selectFrom("audit_events").select("id").where("object_id", "=", bulkPk).where("action", "=", "key.redeemed").execute(),
    db.selectFrom("entitlement_events").select("id").where("entitlement_id", "=", bulkPk).execute(),
  ]);
  return { audits: audits.length, events: events.length };
}

/** What the database holds for the entitlement `pk`: the row and everything written with it. */
async function traces(db: Db, pk: string) {
  const [entitlements, lineItems, partners, events, audits] = await Promise.all([
    db.selectFrom("entitlements").select("id").where("id", "=", pk).execute(),
    db.selectFrom("line_items").select("id").where("entitlement_id", "=", pk).execute(),
    db.selectFrom("entitlement_partners").select("tier").where("entitlement_id", "=", pk).execute(),
    db.selectFrom("entitlement_events").select("id").where("entitlement_id", "=", pk).execute(),
    db.selectFrom("audit_events").select("id").where("object_id", "=", pk).execute(),
  ]);
  return {
    entitlements: entitlements.length,
    lineItems: lineItems.length,
    partners: partners.length,
    events: events.length,
    audits: audits.length,
  };
}

describeEachDb("redemption claim", (env) => {
  for (const where of ["on its own", "in the caller's transaction"] as const)
    it(`claims only an UNREDEEMED key: a key redeemed after the snapshot gets no second entitlement (${where})`, async () => {
      const admin = await env.as("PRODUCER_ADMIN");
      const { bulk, keys, uid } = await bulkEntitlement(env, admin, { keys: 2 });
      const bulkPk = bulk.id as string;
      const [key, control] = keys as [string, string];
      const first = await env.makeAccount({ id: `FIRST-${uid}` });
      const late = await env.makeAccount({ id: `LATE-${uid}` });
      const write = (w: RedemptionWrites) =>
        where === "on its own" ? writeRedemption(env.db, w) : env.db.transaction().execute((trx) => writeRedemption(trx, w));

      // The late redeemer reads the key while it is still open...
      const stale = await redemptionSnapshot(env.db, canonicalKey(key), late, DEFAULT_REDEEMED_ID_TEMPLATE);
      expect(stale.key?.status).toBe("UNREDEEMED");
      // ...then someone else redeems it, behind that snapshot.
      const won = await admin.post("/api/v1/redemptions", { key, soldTo: first });
      expect(won.statusCode).toBe(201);
      const firstPk = won.json().entitlement.id as string;
      const trail = await bulkTrail(env.db, bulkPk);

      const { pk, writes } = plannedWrites(stale, late, `${uid}-a`);
      expect(await write(writes)).toBe(false);
      expect(await traces(env.db, pk)).toEqual({ entitlements: 0, lineItems: 0, partners: 0, events: 0, audits: 0 });
      expect(await bulkTrail(env.db, bulkPk)).toEqual(trail);
      const keyRow = await env.db
        .selectFrom("web_register_keys")
        .select(["status", "sold_to", "entitlement_id", "redeemed_by_label"])
        .where("key", "=", key)
        .executeTakeFirstOrThrow();
      expect(keyRow).toMatchObject({ status: "REDEEMED", sold_to: first, entitlement_id: firstPk });
      expect(keyRow.redeemed_by_label).not.toBe(actorLabel(LATE.actor));

      // The same plan for a key still open goes through: the writes are sound, only the guard refused them.
      const open = await redemptionSnapshot(env.db, canonicalKey(control), late, DEFAULT_REDEEMED_ID_TEMPLATE);
      const planned = plannedWrites(open, late, `${uid}-b`);
      expect(await write(planned.writes)).toBe(true);
      expect(await traces(env.db, planned.pk)).toEqual({ entitlements: 1, lineItems: 1, partners: 2, events: 1, audits: 1 });
      expect(await bulkTrail(env.db, bulkPk)).toEqual({ audits: trail.audits + 1, events: trail.events + 1 });

      const children = await env.db.selectFrom("entitlements").select("id").where("parent_bulk_id", "=", bulkPk).execute();
      expect(children.map((c) => c.id).sort()).toEqual([firstPk, planned.pk].sort());
      expect((await admin.get(`/api/v1/entitlements/${bulkPk}/keys/counts`)).json()).toEqual({
        total: 2,
        redeemed: 2,
        unredeemed: 0,
      });
    });
});
