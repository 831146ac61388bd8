import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterEach, beforeEach } from "vitest";
import { JobRunner } from "../src/jobs/runner.js";
import { MailDispatcher } from "../src/mail/dispatcher.js";
import type { TestEnv } from "./helpers.js";

/** A real SMTP server on a free port; `refuse` answers the DATA of a message with an SMTP error. */
export interface Inbox {
  port: number;
  received: ParsedMail[];
  refuse: { code: number; text: string; times: number } | null;
  close(): Promise<void>;
}

export async function smtpInbox(): Promise<Inbox> {
  const inbox = { received: [] as ParsedMail[], refuse: null as Inbox["refuse"] } as Inbox;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", async () => {
        const r = inbox.refuse;
        if (r && r.times > 0) {
          r.times--;
          const err = Object.assign(new Error(r.text), { responseCode: r.code });
          return callback(err);
        }
        inbox.received.push(await simpleParser(Buffer.concat(chunks)));
        callback();
      });
    },
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
  inbox.port = (server.server.address() as { port: number }).port;
  inbox.close = () => new Promise<void>((res) => server.close(() => res()));
  return inbox;
}

export async function until<T>(what: string, f: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * For each test of the suite: a real SMTP server, and the job runner and mail dispatcher of the
 * test's database with short retry delays and polling. Returns the current test's inbox.
 */
export function mailDelivery(env: TestEnv): () => Inbox {
  let inbox: Inbox;
  let runner: JobRunner;
  let dispatcher: MailDispatcher;
  beforeEach(async () => {
    inbox = await smtpInbox();
    const config = { ...env.app.deps.config, mailRetryDelaysMs: [100, 100], mailPollMs: 50, mailTimeoutMs: 5000 };
    runner = new JobRunner({ db: env.db, dialect: env.dialect, config, bulk: env.app.deps.bulk });
    await runner.start();
    dispatcher = new MailDispatcher({ db: env.db, config }, runner);
    dispatcher.start();
  });
  afterEach(async () => {
    await dispatcher.stop();
    await runner.stop();
    await inbox.close();
  });
  return () => inbox;
}
