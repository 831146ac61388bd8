import type { FastifyInstance } from "fastify";
import { EntitlementSchema } from "../../../common/src/api/entitlements.js";
import { FulfillmentSchema } from "../../../common/src/api/fulfillments.js";
import { accountRecoveryRoutes } from "./accountRecovery.js";
import { accountRoutes } from "./accounts.js";
import { auditRoutes } from "./audit.js";
import { emailRoutes } from "./email.js";
import { entitlementRoutes } from "./entitlements.js";
import { eventRoutes } from "./events.js";
import { fulfillmentRoutes } from "./fulfillments.js";
import { healthRoutes } from "./health.js";
import { jobRoutes } from "./jobs.js";
import { keyRoutes } from "./keys.js";
import { licenseKeyRoutes } from "./licenseKeys.js";
import { licenseModelRoutes } from "./licenseModels.js";
import { lifecycleRoutes } from "./lifecycle.js";
import { metricsRoutes } from "./metrics.js";
import { partNumberRoutes } from "./partNumbers.js";
import { partnerTierRoutes } from "./partnerTiers.js";
import { productRoutes } from "./products.js";
import { redemptionRoutes } from "./redemptions.js";
import { reportRoutes } from "./reports.js";
import { sessionRoutes } from "./session.js";
import { settingsRoutes } from "./settings.js";
import { splitRoutes } from "./splits.js";
import { tokenRoutes } from "./tokens.js";
import { userRoutes } from "./users.js";
import { webhookRoutes } from "./webhooks.js";

/** Every route module, registered in one place so the OpenAPI document sees them all. */
export async function registerRoutes(app: FastifyInstance) {
  // Shared, so routes refer to it by name (one component in the OpenAPI document, and a response
  // may hold two entitlements without two definitions of one $id).
  app.addSchema(EntitlementSchema);
  app.addSchema(FulfillmentSchema);
  await app.register(healthRoutes);
  await app.register(sessionRoutes);
  await app.register(accountRoutes);
  await app.register(productRoutes);
  await app.register(licenseModelRoutes);
  await app.register(partNumberRoutes);
  await app.register(partnerTierRoutes);
  await app.register(userRoutes);
  await app.register(tokenRoutes);
  await app.register(auditRoutes);
  await app.register(settingsRoutes);
  await app.register(entitlementRoutes);
  await app.register(lifecycleRoutes);
  await app.register(splitRoutes);
  await app.register(keyRoutes);
  await app.register(redemptionRoutes);
  await app.register(jobRoutes);
  await app.register(licenseKeyRoutes);
  await app.register(emailRoutes);
  await app.register(fulfillmentRoutes);
  await app.register(reportRoutes);
  await app.register(accountRecoveryRoutes);
  await app.register(webhookRoutes);
  await app.register(metricsRoutes);
  await app.register(eventRoutes);
}
