import type { RequestContext } from "../actor.js";
import { systemContext } from "../actor.js";
import { recordAudit } from "../audit.js";
import { isUniqueViolation } from "../db/constraints.js";
import { findPublisher } from "../db/repos/accounts.js";
import { findUserByEmail } from "../db/repos/users.js";
import type { Db } from "../db/schema.js";
import { errors } from "../errors.js";
import { passwordProblem } from "../security/passwordStrength.js";
import { generatePassword, hashPassword } from "../security/passwords.js";
import { newId, nowIso } from "../util.js";

/** Creates the one PUBLISHER account (the producer running this instance) if it is missing. */
export async function publisherEnsurer(db: Db, id: string, name: string): Promise<string> {
  const existing = await findPublisher(db);
  if (existing) return existing.id;
  const ctx = systemContext();
  try {
    await db.transaction().execute(async (trx) => {
      const now = nowIso();
      const row = {
        id,
        name,
        type: "PUBLISHER",
        description: "The producer running this Licensor instance.",
        address1: null,
        address2: null,
        city: null,
        state: null,
        zipcode: null,
        country: null,
        region: null,
        visible: 1,
        parent_id: null,
        created_at: now,
        updated_at: now,
      };
      await trx.insertInto("accounts").values(row).execute();
      await recordAudit(trx, ctx, {
        action: "account.created",
        objectType: "account",
        objectId: id,
        after: { id, name, type: "PUBLISHER" },
      });
    });
  } catch (err) {
    // Another process created it first: fine, there is one now.
    if (!isUniqueViolation(err)) throw err;
  }
  const pub = await findPublisher(db);
  if (!pub) throw new Error("publisher account could not be created");
  return pub.id;
}

export async function hasProducerAdmin(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom("user_roles")
    .innerJoin("users", "users.id", "user_roles.user_id")
    .select("users.id")
    .where("user_roles.role", "=", "PRODUCER_ADMIN")
    .where("users.status", "=", "ACTIVE")
    .executeTakeFirst();
  return row !== undefined;
}

export interface AdminCreateInput {
  email: string;
  password?: string | undefined;
  firstName?: string;
  lastName?: string;
}

/**
 * Creates a producer admin on the PUBLISHER account (first start and `licensor admin create`).
 * Without a password one is generated and returned, to be shown exactly once.
 */
export async function adminCreator(
  db: Db,
  ctx: RequestContext,
  publisherId: string,
  input: AdminCreateInput,
): Promise<{ userId: string; email: string; generatedPassword: string | null }> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw errors.validation("email", "must be a valid email address");
  const generated = input.password ? null : await generatePassword();
  const password = input.password ?? (generated as string);
  const p = await passwordProblem(password, email);
  if (p) throw errors.validation("password", p);
  if (await findUserByEmail(db, email)) throw errors.alreadyExists("email", `A user with email '${email}' already exists.`);
  const hash = await hashPassword(password);
  const id = newId();
  try {
    await db.transaction().execute(async (trx) => {
      const now = nowIso();
      await trx
        .insertInto("users")
        .values({
          id,
          email,
          first_name: input.firstName ?? "Licensor",
          last_name: input.lastName ?? "Admin",
          phone: null,
          locale: null,
          time_zone: null,
          status: "ACTIVE",
          password_hash: hash,
          password_changed_at: now,
          last_login_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx.insertInto("user_roles").values({ user_id: id, account_id: publisherId, role: "PRODUCER_ADMIN" }).execute();
      await recordAudit(trx, ctx, {
        action: "user.created",
        objectType: "user",
        objectId: id,
        after: { email, memberships: [{ accountId: publisherId, role: "PRODUCER_ADMIN" }] },
      });
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw errors.alreadyExists("email", `A user with email '${email}' already exists.`);
    throw err;
  }
  return { userId: id, email, generatedPassword: generated };
}
