import { expect, it } from "vitest";
import { JobRunner } from "../src/jobs/runner.js";
import { bulkEntitlement } from "./factories.js";
import { type Caller, describeEachDb } from "./helpers.js";

function multipart(fields: Record<string, string>, file: { name: string; content: string }) {
  const boundary = `----licensor${Math.random().toString(16).slice(2)}`;
  let body = "";
  for (const [k, v] of Object.entries(fields))
    body += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  body += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n${file.content}\r\n--${boundary}--\r\n`;
  return { body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

describeEachDb("key files", (env) => {
  async function runJob(admin: Caller, jobId: string) {
    const runner = new JobRunner({ db: env.db, dialect: env.dialect, config: env.app.deps.config, bulk: env.app.deps.bulk });
    await runner.start();
    let job: { state: string; result: unknown; error: string | null } = { state: "QUEUED", result: null, error: null };
    for (let i = 0; i < 300 && (job.state === "QUEUED" || job.state === "RUNNING"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await admin.get(`/api/v1/jobs/${jobId}`)).json();
    }
    await runner.stop();
    return job;
  }

  it("imports FNO's XML format through a multipart upload as a job, and refuses a broken file naming its lines", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    (env.app.deps as { jobs?: unknown }).jobs = new JobRunner({
      db: env.db,
      dialect: env.dialect,
      config: env.app.deps.config,
      bulk: env.app.deps.bulk,
    });
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<webregkeys>\n  <webregkey>XML-KEY-1</webregkey>\n  <webregkey>XML-KEY-2</webregkey>\n</webregkeys>\n`;
    const up = multipart({}, { name: "keys.xml", content: xml });
    const token = (await env.makeUser({ role: "PRODUCER_ADMIN", accountId: "PUBLISHER" })).token;
    const ok = await env.app.inject({
      method: "POST",
      url: `/api/v1/entitlements/${e.id}/keys/import`,
      payload: up.body,
      headers: { ...up.headers, authorization: `Bearer ${token}` },
    });
    expect(ok.statusCode).toBe(202);
    const job = await runJob(admin, ok.json().jobId);
    expect(job.state).toBe("SUCCEEDED");
    expect(job.result).toMatchObject({ status: "SUCCESS", loaded: 2 });

    const broken = multipart({}, { name: "keys.txt", content: "T-1\nbad,key\nT-2\nT-1\n" });
    const bad = await env.app.inject({
      method: "POST",
      url: `/api/v1/entitlements/${e.id}/keys/import`,
      payload: broken.body,
      headers: { ...broken.headers, authorization: `Bearer ${token}` },
    });
    const failed = await runJob(admin, bad.json().jobId);
    expect(failed.state).toBe("FAILED");
    expect(failed.error).toContain("2 bad lines; nothing was loaded");
    expect((failed.result as { badLines: { line: number }[] }).badLines.map((b) => b.line)).toEqual([2, 4]);
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json().total).toBe(2);

    const partial = multipart({ mode: "partial" }, { name: "keys.txt", content: "T-1\nbad,key\nT-2\nT-1\n" });
    const p = await env.app.inject({
      method: "POST",
      url: `/api/v1/entitlements/${e.id}/keys/import`,
      payload: partial.body,
      headers: { ...partial.headers, authorization: `Bearer ${token}` },
    });
    const pj = await runJob(admin, p.json().jobId);
    expect(pj.error).toBeNull();
    expect(pj.state).toBe("PARTIAL_FAILURE");
    expect(pj.result).toMatchObject({ status: "PARTIAL_FAILURE", loaded: 2, rejected: 2 });
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json().total).toBe(4);

    const noFile = await env.app.inject({
      method: "POST",
      url: `/api/v1/entitlements/${e.id}/keys/import`,
      payload: {},
      headers: { authorization: `Bearer ${token}` },
    });
    expect(noFile.json()).toMatchObject({ status: 400, field: "file" });
  });

  it("refuses a key file with a byte that is not UTF-8, naming its line, and loads nothing", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    (env.app.deps as { jobs?: unknown }).jobs = new JobRunner({
      db: env.db,
      dialect: env.dialect,
      config: env.app.deps.config,
      bulk: env.app.deps.bulk,
    });
    const boundary = "----licensorlatin1";
    const body = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="keys.txt"\r\nContent-Type: text/plain\r\n\r\n`,
      ),
      Buffer.from("LAT-1\nLAT-2\nCAF\u00c9-3\nLAT-4\n", "latin1"),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const token = (await env.makeUser({ role: "PRODUCER_ADMIN", accountId: "PUBLISHER" })).token;
    const r = await env.app.inject({
      method: "POST",
      url: `/api/v1/entitlements/${e.id}/keys/import`,
      payload: body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}`, authorization: `Bearer ${token}` },
    });
    expect(r.statusCode).toBe(202);
    const job = await runJob(admin, r.json().jobId);
    expect(job.state).toBe("FAILED");
    expect(job.error).toMatch(/^Line 3: .*not UTF-8/);
    expect((await admin.get(`/api/v1/entitlements/${e.id}/keys/counts`)).json().total).toBe(0);
  });

  it("exports a large set as a job whose file downloads only for those who may see the keys", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 40 });
    (env.app.deps as { jobs?: unknown }).jobs = new JobRunner({
      db: env.db,
      dialect: env.dialect,
      config: env.app.deps.config,
      bulk: env.app.deps.bulk,
    });
    const r = await admin.post(`/api/v1/entitlements/${e.id}/keys/exports`, {});
    expect(r.statusCode).toBe(202);
    const job = await runJob(admin, r.json().jobId);
    expect(job.state).toBe("SUCCEEDED");
    expect(job.result).toMatchObject({ rows: 40, format: "csv" });
    const listed = (await admin.get(`/api/v1/jobs?bulkId=${e.id}&state=SUCCEEDED,FAILED`)).json();
    expect(listed).toMatchObject({ items: expect.any(Array) });
    expect(listed.items[0]).toMatchObject({ id: r.json().jobId, bulkEntitlementId: e.entitlementId });
    const file = await admin.get(`/api/v1/jobs/${r.json().jobId}/download`);
    expect(file.statusCode).toBe(200);
    expect(file.body.trim().split(/\r?\n/)).toHaveLength(41);
    const stranger = await env.as("PARTNER_PORTAL_ADMIN");
    expect((await stranger.get(`/api/v1/jobs/${r.json().jobId}/download`)).statusCode).toBe(403);
  });

  it("exports CSV and a PDF sheet of key cards, and audits both", async () => {
    const admin = await env.as("PRODUCER_ADMIN");
    const { bulk: e } = await bulkEntitlement(env, admin);
    await admin.post(`/api/v1/entitlements/${e.id}/keys/generate`, { count: 23 });
    const csv = await admin.get(`/api/v1/entitlements/${e.id}/keys/export.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toContain("text/csv");
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^key,status/);
    expect(lines).toHaveLength(24);
    const pdf = await admin.get(`/api/v1/entitlements/${e.id}/keys/export.pdf?limit=12`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers["content-type"]).toBe("application/pdf");
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe("%PDF-");
    const audits = await env.db
      .selectFrom("audit_events")
      .select("action")
      .where("object_id", "=", e.id)
      .where("action", "=", "keys.exported")
      .execute();
    expect(audits).toHaveLength(2);
  });
});
