import { PARTNER_ROLES } from "../../../common/src/enums.js";
import { type Actor, hasRoleOn } from "../actor.js";
import { producerStaff } from "./predicates.js";

/** A bulk entitlement as the report policy sees it: the current owners of it and of those it was split from. */
type ChainRef = { ownerAccountIds: string[] };

const partnerOf = (a: Actor, accountId: string) => hasRoleOn(a, accountId, ...PARTNER_ROLES);

/**
 * Reports (issue 15 item 3): producer staff see every report; a channel partner's users see the
 * report of a bulk entitlement their account currently owns, or one split (at any depth) from a
 * bulk entitlement it owns — their part of the chain, never the part above them — and their own
 * account's report. Customers see none. The whole chain view and the home figures are the producer's.
 */
export const reportPolicy = {
  "report.bulk": (a: Actor, e: ChainRef) => producerStaff(a) || e.ownerAccountIds.some((id) => partnerOf(a, id)),
  "report.partner": (a: Actor, t: { accountId: string }) => producerStaff(a) || partnerOf(a, t.accountId),
  "report.overview": (a: Actor) => producerStaff(a),
  "entitlement.chain": (a: Actor) => producerStaff(a),
};
