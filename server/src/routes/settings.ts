import type { FastifyInstance } from "fastify";
import { Type } from "typebox";
import { settingsUpdater } from "../commands/settingsUpdater.js";
import { loadSettings } from "../db/repos/settings.js";
import { generateId, templateEntropyBits } from "../domain/idTemplates.js";
import { generateKey, keyRandomBits } from "../domain/keyFormat.js";
import { ctxOf, requireActor } from "../plugins/auth.js";
import { authorize } from "../policies/index.js";
import { errorResponses } from "./schemas.js";
import { typed } from "./typed.js";

const Template = Type.Object(
  {
    prefix: Type.String({ maxLength: 64, description: "May contain {kind} (S or B), {orderId}, {year}." }),
    groups: Type.Integer({ minimum: 1, maximum: 16 }),
    groupLength: Type.Integer({ minimum: 1, maximum: 16 }),
    separator: Type.String({ maxLength: 3 }),
    alphabet: Type.String({ minLength: 2, maxLength: 64 }),
  },
  { additionalProperties: false },
);
const TemplateOut = Type.Intersect([Template, Type.Object({ example: Type.String(), randomBits: Type.Number() })]);
const KeyFormatSchema = Type.Object(
  {
    groups: Type.Integer({ minimum: 1, maximum: 12 }),
    groupLength: Type.Integer({ minimum: 2, maximum: 12 }),
    separator: Type.String({ maxLength: 1, description: "'-', ' ' or empty" }),
  },
  {
    additionalProperties: false,
    description:
      "Generated keys: groups × groupLength Crockford base32 symbols, the last one a check symbol; at least 100 random bits.",
  },
);
const RedeemedTemplate = Type.String({
  minLength: 5,
  maxLength: 69,
  description:
    "ID of the simple entitlement a redeemed web register key becomes: {key} is the key (FNO's default {key}ENT). If the ID is taken, a generated entitlement ID is used.",
});
const SettingsSchema = Type.Object(
  {
    keyFormat: Type.Intersect([KeyFormatSchema, Type.Object({ example: Type.String(), randomBits: Type.Number() })]),
    idTemplates: Type.Object({ entitlement: TemplateOut, activation: TemplateOut }),
    allowEditDeployed: Type.Boolean({
      description: "Let producers edit dates and descriptions of DEPLOYED entitlements and line items.",
    }),
    allowUsedItemsInactiveObsolete: Type.Boolean({
      description: "Let entitlements and line items with fulfillments go INACTIVE or OBSOLETE.",
    }),
    redeemedEntitlementIdTemplate: RedeemedTemplate,
  },
  { $id: "Settings" },
);

const present = (s: Awaited<ReturnType<typeof loadSettings>>) => ({
  ...s,
  keyFormat: { ...s.keyFormat, example: generateKey(s.keyFormat), randomBits: keyRandomBits(s.keyFormat) },
  idTemplates: {
    entitlement: {
      ...s.idTemplates.entitlement,
      example: generateId(s.idTemplates.entitlement, { kind: "SIMPLE", orderId: "PO123" }),
      randomBits: Math.floor(templateEntropyBits(s.idTemplates.entitlement)),
    },
    activation: {
      ...s.idTemplates.activation,
      example: generateId(s.idTemplates.activation, { kind: "SIMPLE", orderId: "PO123" }),
      randomBits: Math.floor(templateEntropyBits(s.idTemplates.activation)),
    },
  },
});

export async function settingsRoutes(fastify: FastifyInstance) {
  const app = typed(fastify);
  app.get(
    "/api/v1/settings",
    {
      schema: {
        tags: ["settings"],
        summary: "Instance settings: ID generators, redeemed entitlement ID, key format, entitlement state settings",
        response: { 200: SettingsSchema, ...errorResponses },
      },
    },
    async (req) => {
      authorize(requireActor(req), "settings.read");
      return present(await loadSettings(app.deps.db));
    },
  );
  app.patch(
    "/api/v1/settings",
    {
      schema: {
        tags: ["settings"],
        summary: "Change instance settings",
        body: Type.Object(
          {
            idTemplates: Type.Optional(
              Type.Object(
                { entitlement: Type.Optional(Template), activation: Type.Optional(Template) },
                { additionalProperties: false },
              ),
            ),
            allowEditDeployed: Type.Optional(Type.Boolean()),
            allowUsedItemsInactiveObsolete: Type.Optional(Type.Boolean()),
            keyFormat: Type.Optional(KeyFormatSchema),
            redeemedEntitlementIdTemplate: Type.Optional(RedeemedTemplate),
          },
          { additionalProperties: false },
        ),
        response: { 200: SettingsSchema, ...errorResponses },
      },
    },
    async (req) => present(await settingsUpdater(app.deps.db, ctxOf(req), req.body)),
  );
}
