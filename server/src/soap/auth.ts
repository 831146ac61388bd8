import type { FastifyRequest } from "fastify";
import type { Actor } from "../actor.js";
import { passwordChecker } from "../commands/sessionCreator.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { actorFromToken } from "../security/actorLoader.js";
import { countPasswordAttempt, forgivePasswordAttempt } from "../security/passwordThrottle.js";
import type { XmlElement } from "./xml.js";

/** The namespace of FNO's SOAP-header credentials. */
export const PLATFORM_NS = "urn:com.macrovision:flexnet/platform";

/** `user##domain` names the user; Licensor has no domains, so the domain part is dropped. */
const userOf = (name: string) => {
  const i = name.indexOf("##");
  return i === -1 ? name : name.slice(0, i);
};

/**
 * Who calls the SOAP facade, as FNO integrations say it: `Authorization: Bearer <API token>`,
 * `Authorization: Basic base64(email:password)` (the email may be written `email##domain`), or the
 * `UserId`/`UserPassword` SOAP header (the password base64-encoded, as FNO has it). Email and
 * password go through the login's own check (`passwordChecker`): the same lockout and audit of
 * failures, and the same per-address limit (on failures). Throws the API's 401/429 errors, which the endpoint answers as SOAP Faults.
 */
export async function soapActor(db: Db, req: FastifyRequest, header: XmlElement | undefined): Promise<Actor> {
  const auth = req.headers.authorization;
  const check = async (email: string, password: string): Promise<Actor> => {
    // The login route's per-address limit, here on failures only (security/passwordThrottle.ts).
    const { windowStart } = await countPasswordAttempt(db, req.ip);
    const { user, memberships } = await passwordChecker(db, { email: userOf(email), password, ip: req.ip, requestId: req.id });
    await forgivePasswordAttempt(db, req.ip, windowStart);
    return { type: "user", userId: user.id, email: user.email, tokenId: null, memberships };
  };
  if (auth) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    if (bearer) {
      const actor = await actorFromToken(db, bearer[1] as string);
      if (!actor) throw errors.unauthenticated("The API token is unknown, expired, revoked or its user is deactivated.");
      return actor;
    }
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth);
    if (!basic) throw errors.unauthenticated("The Authorization header must be 'Basic <credentials>' or 'Bearer <token>'.");
    const decoded = Buffer.from(basic[1] as string, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon === -1) throw errors.unauthenticated("HTTP Basic credentials must be 'user:password'.");
    return check(decoded.slice(0, colon), decoded.slice(colon + 1));
  }
  const field = (name: string) => header?.children.find((c) => c.ns === PLATFORM_NS && c.name === name)?.text.trim();
  const userId = field("UserId");
  const password = field("UserPassword");
  if (userId !== undefined || password !== undefined) {
    if (!userId || password === undefined)
      throw errors.unauthenticated("The SOAP header needs both UserId and UserPassword (base64).");
    return check(userId, Buffer.from(password, "base64").toString("utf8"));
  }
  throw errors.unauthenticated(
    "Authentication required: HTTP Basic (Licensor user email and password), a Bearer API token, or the UserId/UserPassword SOAP header.",
  );
}
