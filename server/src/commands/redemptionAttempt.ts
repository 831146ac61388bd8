import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import type { GroupCommit, SyncRunner } from "../db/groupCommit.js";
import type { WithClaim } from "../db/repos/redemption.js";
import type { Db } from "../db/schema.js";
import { maskKey } from "../domain/keys.js";
import { AppError } from "../errors.js";
import { countRedemption } from "../metrics.js";
import { type Admission, type RedeemGuard, type Subjects, Throttled } from "../security/redeemGuard.js";

/** Wrong and unknown keys count towards the lockout; other refusals (a withdrawn offer, a bad Sold To) do not. */
const isMiss = (err: unknown) => err instanceof AppError && (err.status === 404 || (err.status === 400 && err.field === "key"));

/** One attempt to use a key (a redemption or a registration with it), as the abuse controls see it. */
export interface RedemptionAttempt {
  subjects: Subjects;
  /** Who tries; null for an anonymous registration (audited as "anonymous"). */
  ctx: RequestContext | null;
  ip: string;
  requestId: string;
  key: string;
}

/**
 * Runs a redemption (or a registration with a key) under the abuse controls: admitted or throttled
 * (`onAdmitted` gets the rate to show), a miss counted towards the lockout, a success clearing it.
 * Refusals are audited (`key.redeem_refused`, the key masked), but a throttled window only once and
 * a lockout's refusals not at all (the miss that set it is), so a flood of refused attempts cannot
 * fill the audit table. The refusal is rethrown as it came.
 */
export async function redemptionAttempt<T>(
  db: Db,
  guard: RedeemGuard,
  attempt: RedemptionAttempt,
  run: (withClaim: WithClaim) => Promise<T>,
  onAdmitted: (admission: Admission) => void,
): Promise<T> {
  const { subjects } = attempt;
  let admitted: Admission | null = null;
  // A redemption that can commit the places' return with its claim does (one commit fewer to wait for).
  let withClaim: WithClaim | null = null;
  try {
    admitted = await guard.admit(subjects);
    onAdmitted(admitted);
    withClaim = { statements: [guard.releaseStatement(subjects, admitted)], applied: false };
    const r = await run(withClaim);
    await guard.success(subjects, admitted, withClaim.applied);
    countRedemption("redeemed");
    return r;
  } catch (err) {
    // A claim that committed with the places' return and failed after it (its answer's read) has
    // nothing left to give back.
    throw await refused(db, guard, attempt, err, withClaim?.applied ? null : admitted);
  }
}

/**
 * redemptionAttempt() on SQLite, where the whole attempt is one unit of the group commit
 * (db/groupCommit.ts): the guard's admission, then `work` — the checks, the read, the claim and the
 * writes (keyRedemptionUnit()) — in a savepoint of its own, then the miss places given back unless
 * it missed. One commit per redemption, as the floor's one transaction (bench/redeemFloor.ts),
 * where the admission in a unit of its own made every redemption wait for two. The admission still
 * comes before the lookup, and a refusal still commits the attempt's count. `finish` runs after the
 * commit (reading back an entitlement redeemed before).
 */
export async function redemptionInOneUnit<U, T>(
  db: Db,
  group: GroupCommit,
  guard: RedeemGuard,
  attempt: RedemptionAttempt,
  unit: () => Promise<{ work: (runner: SyncRunner) => U; finish: (u: U) => Promise<T> }>,
  onAdmitted: (admission: Admission) => void,
): Promise<T> {
  const { subjects } = attempt;
  // The admission of a miss, whose places stay taken until guard.miss() has counted them.
  let missed: Admission | null = null;
  try {
    const { work, finish } = await unit();
    const outcome = await group.submit((runner) => {
      const admission = guard.admitIn(runner, subjects);
      if (admission instanceof Throttled) return { admission: null, error: admission as unknown, missed: false };
      let value: U;
      try {
        value = runner.savepoint(() => work(runner));
      } catch (error) {
        // A miss keeps its places (the lockout counts them); any other refusal gives them back.
        if (isMiss(error)) return { admission, error, missed: true };
        runner.all(guard.releaseStatement(subjects, admission));
        return { admission, error, missed: false };
      }
      // A success gives its places back in its own commit (should that fail, the unit fails whole).
      runner.all(guard.releaseStatement(subjects, admission));
      return { admission, value };
    });
    if (outcome.admission) onAdmitted(outcome.admission);
    if ("error" in outcome) {
      if (outcome.missed) missed = outcome.admission;
      throw outcome.error;
    }
    await guard.success(subjects, outcome.admission, true);
    const r = await finish(outcome.value);
    countRedemption("redeemed");
    return r;
  } catch (err) {
    throw await refused(db, guard, attempt, err, missed);
  }
}

/**
 * A refused attempt: counted by its code, its places settled (`held`: an admission whose places
 * are still taken — a miss keeps them towards the lockout, anything else gives them back), and
 * audited (`key.redeem_refused`, the key masked), but a throttled window only once and a lockout's
 * refusals not at all. Returns the error to rethrow, as it came.
 */
async function refused(
  db: Db,
  guard: RedeemGuard,
  attempt: RedemptionAttempt,
  err: unknown,
  held: Admission | null,
): Promise<unknown> {
  countRedemption(err instanceof AppError ? err.code : "internal_error");
  let lockedOut = false;
  if (held) {
    if (isMiss(err)) lockedOut = await guard.miss(attempt.subjects, held);
    else await guard.release(attempt.subjects, held);
  }
  if (err instanceof Throttled && !err.audit) return err;
  const e = err instanceof AppError ? err : null;
  await db.transaction().execute((trx) =>
    recordAudit(
      trx,
      attempt.ctx ?? {
        actor: { type: "system", userId: null, email: "anonymous", tokenId: null, memberships: [] },
        requestId: attempt.requestId,
        ip: attempt.ip,
      },
      {
        action: "key.redeem_refused",
        objectType: "key",
        objectId: maskKey(attempt.key.trim()),
        after: {
          code: e?.code ?? "internal_error",
          status: e?.status ?? 500,
          ip: attempt.ip,
          ...(err instanceof Throttled ? { throttledUntilWindowEnds: true } : {}),
          ...(lockedOut ? { lockedOut: true } : {}),
        },
      },
    ),
  );
  return err;
}
