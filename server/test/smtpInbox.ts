import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

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
