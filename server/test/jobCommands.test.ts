import { expect, it } from "vitest";
import { JobRunner } from "../src/jobs/runner.js";
import { bulkEntitlement } from "./factories.js";
import { describeEachDb } from "./helpers.js";

describeEachDb("job commands", (env) => {
  const audits = (action: string, objectId: string) =>
    env.db
      .selectFrom("audit_events")
      .select(["action", "changes"])
      .where("action", "=", action)
      .where("object_id", "=", objectId)
      .execute();

  it("starts an export job and its audit together, and neither without a job runner", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const e = (await bulkEntitlement(env, admin)).bulk;
    // No runner in this process: refused before anything is written.
    const refused = await admin.post(`/api/v1/entitlements/${e.id}/keys/exports`, {});
    expect(refused.statusCode).toBe(503);
    expect(await audits("keys.exported", e.id)).toHaveLength(0);
    // A runner that is not started queues the job and leaves it queued.
    (env.app.deps as { jobs?: unknown }).jobs = new JobRunner({
      db: env.db,
      dialect: env.dialect,
      config: env.app.deps.config,
      bulk: env.app.deps.bulk,
    });
    const r = await admin.post(`/api/v1/entitlements/${e.id}/keys/exports`, { status: "UNREDEEMED" });
    expect(r.statusCode).toBe(202);
    expect(r.json()).toMatchObject({ state: "QUEUED" });
    const rows = await audits("keys.exported", e.id);
    expect(rows).toHaveLength(1);
    expect(JSON.parse((rows[0] as { changes: string }).changes)).toMatchObject({ format: { after: "csv-job" } });
    const job = (await admin.get(`/api/v1/jobs/${r.json().jobId}`)).json();
    expect(job).toMatchObject({ type: "keys.export", state: "QUEUED", bulkEntitlementId: e.entitlementId });
  });

  it("cancels a queued job at once with its audit, and refuses to cancel it again", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const e = (await bulkEntitlement(env, admin)).bulk;
    (env.app.deps as { jobs?: unknown }).jobs = new JobRunner({
      db: env.db,
      dialect: env.dialect,
      config: env.app.deps.config,
      bulk: env.app.deps.bulk,
    });
    const { jobId } = (await admin.post(`/api/v1/entitlements/${e.id}/keys/exports`, {})).json();
    const viewer = await env.as("PRODUCER_VIEWER");
    expect((await viewer.post(`/api/v1/jobs/${jobId}/actions/cancel`)).statusCode).toBe(403);
    expect(await audits("job.cancel_requested", jobId)).toHaveLength(0);

    const cancelled = await admin.post(`/api/v1/jobs/${jobId}/actions/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({
      id: jobId,
      state: "CANCELLED",
      error: "Cancelled before it started.",
      bulkEntitlementId: e.entitlementId,
    });
    expect(await audits("job.cancel_requested", jobId)).toHaveLength(1);

    const again = await admin.post(`/api/v1/jobs/${jobId}/actions/cancel`);
    expect(again.statusCode).toBe(409);
    expect(await audits("job.cancel_requested", jobId)).toHaveLength(1);
    expect((await admin.post("/api/v1/jobs/no-such-job/actions/cancel")).statusCode).toBe(404);
  });
});
