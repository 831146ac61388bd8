import type { Caller, TestEnv } from "./helpers.js";

/** A deployed product with a feature, a deployed license model allowed for it, and a distributor account. */
export async function catalogFixture(env: TestEnv, admin: Caller, opts: { deploy?: boolean; attributes?: unknown[] } = {}) {
  const deploy = opts.deploy ?? true;
  const uid = Math.random().toString(36).slice(2, 8);
  const lm = (
    await admin.post("/api/v1/license-models", {
      name: `Node-locked ${uid}`,
      technology: "CERTIFICATE",
      modelType: "NODE_LOCKED_UNCOUNTED",
      attributes: opts.attributes ?? [],
    })
  ).json();
  if (deploy) await admin.post(`/api/v1/license-models/${lm.id}/actions/change-state`, { state: "DEPLOYED" });
  const product = (
    await admin.post("/api/v1/products", {
      name: `Acme CAD ${uid}`,
      version: "1.0",
      features: [{ name: "cad_base", version: "1.0", count: null }],
      licenseModelIds: [lm.id],
    })
  ).json();
  if (deploy) await admin.post(`/api/v1/products/${product.id}/actions/change-state`, { state: "DEPLOYED" });
  const distributor = await env.makeAccount({ id: `DIST-${uid}`, type: "CHANNEL_PARTNER", name: `Distributor ${uid}` });
  const customer = await env.makeAccount({ id: `CUST-${uid}`, type: "CUSTOMER", name: `Customer ${uid}` });
  return { lm, product, distributor, customer, uid };
}
