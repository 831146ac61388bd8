/**
 * What rendered emails say about this instance: the portal's address and the producer's name.
 * Set once by the app from its configuration (app.ts), so the outbox's public functions keep the
 * signatures other slices call (`queueLicenseEmail(trx, ctx, m)`) without a configuration argument.
 */
export interface MailEnvironment {
  portalUrl: string;
  producer: string;
}

let current: MailEnvironment = { portalUrl: "http://localhost:8080", producer: "Producer" };

export function setMailEnvironment(env: MailEnvironment): void {
  current = { ...env };
}

export function mailEnvironment(): MailEnvironment {
  return current;
}
