import http from "node:http";
import https from "node:https";
import { ALLOW_VAR, guardedLookup, literalBlocked } from "./targets.js";

/** The first bytes of a receiver's answer kept in the delivery log: enough to read an error, never a page. */
export const SNIPPET_BYTES = 256;

export interface SendResult {
  /** 2xx: the receiver has it. */
  ok: boolean;
  statusCode: number | null;
  /** Why there is no 2xx: the connection's error, the timeout, or the refused address. */
  error: string | null;
  durationMs: number;
  snippet: string | null;
}

// Kept-alive connections: a receiver getting a burst of events is not reconnected for each one.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16 }),
};

/**
 * One POST of a signed body. Never throws: every failure is a result (the caller records it as an
 * attempt). The whole exchange, connection included, must end within `timeoutMs`.
 */
export function postWebhook(opts: {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<SendResult> {
  const started = performance.now();
  const done = (r: Omit<SendResult, "durationMs">): SendResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
  let u: URL;
  try {
    u = new URL(opts.url);
  } catch {
    return Promise.resolve(done({ ok: false, statusCode: null, error: "the endpoint's URL is not valid", snippet: null }));
  }
  const literal = opts.allowPrivate ? null : literalBlocked(u);
  if (literal)
    return Promise.resolve(
      done({
        ok: false,
        statusCode: null,
        error: `${literal} is a loopback, private or link-local address; set ${ALLOW_VAR}=true to allow it`,
        snippet: null,
      }),
    );
  const tls = u.protocol === "https:";
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: Omit<SendResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(r));
    };
    const req = (tls ? https : http).request(
      u,
      {
        method: "POST",
        agent: tls ? agents.https : agents.http,
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(opts.body)),
          "user-agent": "Licensor-Webhooks/1",
          ...opts.headers,
        },
        ...(opts.allowPrivate ? {} : { lookup: guardedLookup as unknown as http.RequestOptions["lookup"] }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const answer = () => {
          const status = res.statusCode ?? 0;
          const snippet = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString("utf8") || null;
          const ok = status >= 200 && status < 300;
          finish({ ok, statusCode: status, error: ok ? null : `the receiver answered ${status}`, snippet });
        };
        res.on("data", (c: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(c);
          size += c.length;
          // Enough read: the rest of a long answer is not waited for (the socket is not reused).
          if (size >= SNIPPET_BYTES) {
            answer();
            res.destroy();
          }
        });
        res.on("end", answer);
        res.on("error", answer);
      },
    );
    const timer = setTimeout(() => {
      finish({ ok: false, statusCode: null, error: `no answer within ${opts.timeoutMs / 1000} s`, snippet: null });
      req.destroy();
    }, opts.timeoutMs);
    req.on("error", (err) => finish({ ok: false, statusCode: null, error: err.message || String(err), snippet: null }));
    req.end(opts.body);
  });
}
