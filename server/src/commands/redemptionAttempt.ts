import type { RequestContext } from "../actor.js";
import { recordAudit } from "../audit.js";
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
    countRedemption(err instanceof AppError ? err.code : "internal_error");
    let lockedOut = false;
    // A claim that committed with the places' return and failed after it (its answer's read) has
    // nothing left to give back.
    if (admitted && !withClaim?.applied) {
      if (isMiss(err)) lockedOut = await guard.miss(subjects, admitted);
      else await guard.release(subjects, admitted);
    }
    if (err instanceof Throttled && !err.audit) throw err;
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
    throw err;
  }
}
