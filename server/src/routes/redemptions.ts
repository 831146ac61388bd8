import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { keyRedeemer } from "../commands/keyRedeemer.js";
import { ctxOf } from "../plugins/auth.js";
import { errorResponses, NullableString } from "./schemas.js";
import { typed } from "./typed.js";

export async function redemptionRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  const Result = Type.Object({ created: Type.Boolean(), entitlement: Type.Any() });
  app.post(
    "/api/v1/redemptions",
    {
      schema: {
        tags: ["web register keys"],
        summary: "Redeem a web register key into a simple entitlement",
        description:
          "201 with the new entitlement; 200 with the same entitlement when the same account redeems the key again. A typo (wrong check symbol) is reported without any lookup; an unknown key and a key redeemed by another account get the same 404.",
        body: Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 300 }),
            soldTo: Type.Optional(
              NullableString({ maxLength: 255, description: "Account the key is registered to (default: your own)." }),
            ),
            owner: Type.Optional(NullableString({ maxLength: 255, description: "The person who owns it (optional)." })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Result, 201: Result, ...errorResponses },
      },
    },
    async (req, reply) => {
      const r = await keyRedeemer(app.deps.db, ctxOf(req), req.body);
      return reply.status(r.created ? 201 : 200).send(r);
    },
  );
}
