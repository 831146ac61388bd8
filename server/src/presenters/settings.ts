import type { Settings } from "../../../common/src/api/settings.js";
import type { loadSettings } from "../db/repos/settings.js";
import { generateId, templateEntropyBits } from "../domain/idTemplates.js";
import { generateKey, keyRandomBits } from "../domain/keyFormat.js";

/** The stored settings with a fresh sample ID and key, and how much randomness each carries. */
export function presentSettings(s: Awaited<ReturnType<typeof loadSettings>>): Settings {
  return {
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
  };
}
