import { type Static, Type } from "typebox";

/**
 * The license signing keys as the server publishes them: a JWKS (RFC 7517) of Ed25519 keys
 * (RFC 8037), each with Licensor's status and dates. docs/LICENSE-FORMAT.md §5.
 */
export const LicenseKeySchema = Type.Object(
  {
    kty: Type.Literal("OKP"),
    crv: Type.Literal("Ed25519"),
    alg: Type.Literal("EdDSA"),
    use: Type.Literal("sig"),
    kid: Type.String({ description: "RFC 7638 thumbprint of the key; licenses name their signing key by it." }),
    x: Type.String({ description: "The 32-byte public key, base64url." }),
    status: Type.Union([Type.Literal("active"), Type.Literal("retired")], {
      description: "active: signs new licenses; retired: signs no more, still verifies what it signed.",
    }),
    createdAt: Type.String({ format: "date-time" }),
    retiredAt: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  },
  // No $id: it appears twice in a rotation's answer, and an $id may be declared once per schema.
  { description: "One public signing key (JWK)." },
);
export type LicenseKey = Static<typeof LicenseKeySchema>;

export const LicenseKeySetSchema = Type.Object(
  { keys: Type.Array(LicenseKeySchema, { description: "The active key first, then the retired ones, newest first." }) },
  { $id: "LicenseKeySet" },
);
export type LicenseKeySet = Static<typeof LicenseKeySetSchema>;

export const LicenseKeyRotationSchema = Type.Object(
  {
    active: LicenseKeySchema,
    retired: Type.Union([LicenseKeySchema, Type.Null()], { description: "The key that was active until now." }),
  },
  { $id: "LicenseKeyRotation" },
);
export type LicenseKeyRotation = Static<typeof LicenseKeyRotationSchema>;
