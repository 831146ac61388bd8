import { PORTAL_ADMIN_ROLES, PRODUCER_WRITER_ROLES } from "../../../common/src/enums.js";
import { type Actor, belongsTo, hasRole, hasRoleOn, isProducerStaff } from "../actor.js";

/** Small shared predicates the per-resource policies are built from. */
export const producerStaff = (a: Actor) => isProducerStaff(a);
export const producerAdmin = (a: Actor) => hasRole(a, "PRODUCER_ADMIN");
/** Admin and operations: the producer roles that change business data. */
export const producerWriter = (a: Actor) => hasRole(a, ...PRODUCER_WRITER_ROLES);
export const portalAdminOf = (a: Actor, accountId: string) => hasRoleOn(a, accountId, ...PORTAL_ADMIN_ROLES);
/** A partner portal admin of this (channel partner) account. */
export const partnerAdminOf = (a: Actor, accountId: string) => hasRoleOn(a, accountId, "PARTNER_PORTAL_ADMIN");
export const memberOf = (a: Actor, accountId: string) => belongsTo(a, accountId);
export const anyone = (_a: Actor) => true;
