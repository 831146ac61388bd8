import { eventFilterProblem } from "../../../common/src/rules/webhooks.js";
import type { Config } from "../config.js";
import { findWebhookEndpointRecord, type WebhookEndpointRecord } from "../db/repos/webhooks.js";
import type { Trx } from "../db/schema.js";
import { errors } from "../errors.js";
import { presentWebhookEndpoint } from "../presenters/webhooks.js";
import { urlProblem } from "../webhooks/targets.js";

/** Checks an endpoint's URL and filter (each problem named by its field); returns the filter without repeats. */
export function checkEndpointInput(
  config: Pick<Config, "webhookAllowPrivateNetworks">,
  input: { url?: string | undefined; eventTypes?: string[] | undefined },
): string[] | undefined {
  const problems: { field: string; message: string }[] = [];
  if (input.url !== undefined) {
    const p = urlProblem(input.url, config.webhookAllowPrivateNetworks);
    if (p) problems.push({ field: "url", message: p });
  }
  input.eventTypes?.forEach((t, i) => {
    const p = eventFilterProblem(t);
    if (p) problems.push({ field: `eventTypes/${i}`, message: p });
  });
  if (problems.length === 1) {
    const [p] = problems as [{ field: string; message: string }];
    throw errors.validation(p.field, p.message);
  }
  if (problems.length > 1) throw errors.validationMany(problems);
  return input.eventTypes ? [...new Set(input.eventTypes)] : undefined;
}

/** The endpoint inside a transaction, or 404. */
export async function endpointOr404(trx: Trx, id: string): Promise<WebhookEndpointRecord> {
  const r = await findWebhookEndpointRecord(trx, id);
  if (!r) throw errors.notFound("Webhook endpoint", id);
  return r;
}

/** The audit snapshot of an endpoint: its JSON without the counts (which change by themselves). */
export function endpointSnapshot(r: WebhookEndpointRecord): Record<string, unknown> {
  const { deliveries: _counts, ...rest } = presentWebhookEndpoint(r);
  return rest;
}
