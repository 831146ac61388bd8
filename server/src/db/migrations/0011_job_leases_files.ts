import { type Kysely, PostgresAdapter } from "kysely";

/**
 * Jobs shared by several server processes on one database. Frozen once landed.
 *
 * - `jobs.lease_expires_at`: a running job belongs to the process whose lease has not expired; the
 *   holder renews it, any live process takes over an expired one (a crashed or frozen holder).
 * - `job_files` / `job_file_chunks`: uploaded key files and export results live in the database in
 *   chunks, so every process behind a load balancer reads what another one received or wrote. A
 *   file is written chunk by chunk (never whole in memory) and marked complete once all is in;
 *   deleting its `job_files` row deletes its chunks.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.alterTable("jobs").addColumn("lease_expires_at", "text").execute();
  await db.schema
    .createTable("job_files")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("job_id", "text")
    .addColumn("name", "text")
    .addColumn("bytes", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("complete", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("job_files_job").on("job_files").columns(["job_id", "kind"]).execute();
  await db.schema
    .createTable("job_file_chunks")
    .addColumn("file_id", "text", (c) => c.notNull().references("job_files.id").onDelete("cascade"))
    .addColumn("seq", "integer", (c) => c.notNull())
    .addColumn("data", pg ? "bytea" : "blob", (c) => c.notNull())
    .addPrimaryKeyConstraint("job_file_chunks_pk", ["file_id", "seq"])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("job_file_chunks").execute();
  await db.schema.dropTable("job_files").execute();
  await db.schema.alterTable("jobs").dropColumn("lease_expires_at").execute();
}
