import dns from "node:dns";
import net from "node:net";

/**
 * Where webhooks may go (SSRF): http or https only, and never to loopback, private, link-local,
 * shared (CGNAT), multicast or reserved addresses unless LICENSOR_WEBHOOK_ALLOW_PRIVATE_NETWORKS
 * is true. The URL is checked when an endpoint is saved (an address or `localhost` in it); the
 * address a name resolves to is checked at each delivery, by the lookup the connection itself uses,
 * so a name that later resolves elsewhere (DNS rebinding) is refused at the moment it matters.
 */

export const ALLOW_VAR = "LICENSOR_WEBHOOK_ALLOW_PRIVATE_NETWORKS";

const blocked = new net.BlockList();
for (const [a, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  blocked.addSubnet(a, bits, "ipv4");
for (const [a, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  blocked.addSubnet(a, bits, "ipv6");

/** Whether an IP address is one webhooks do not reach by default. */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1] as string);
  const family = net.isIP(ip);
  if (family === 0) return true; // not an address at all: nothing to connect to safely
  return blocked.check(ip, family === 4 ? "ipv4" : "ipv6");
}

const hostOf = (u: URL) => u.hostname.replace(/^\[|\]$/g, "");

/** What is wrong with a webhook URL (words for the `url` field), or null when it may be used. */
export function urlProblem(raw: string, allowPrivate: boolean): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "is not a URL (expected https://host/path)";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return "must be an http:// or https:// URL";
  if (u.username || u.password) return "must not carry a user name or password (sign with the endpoint's secret instead)";
  if (allowPrivate) return null;
  const host = hostOf(u).toLowerCase();
  const local = host === "localhost" || host.endsWith(".localhost");
  if (local || (net.isIP(host) !== 0 && isPrivateAddress(host)))
    return `points to a loopback, private or link-local address (${host}); set ${ALLOW_VAR}=true to allow such targets`;
  return null;
}

export class BlockedAddress extends Error {
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, a loopback, private or link-local address; set ${ALLOW_VAR}=true to allow it`);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** The connection's DNS lookup, refusing private addresses: passed to http(s).request as `lookup`. */
export function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(new BlockedAddress(hostname, bad.address) as NodeJS.ErrnoException, []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), []);
    callback(null, first.address, first.family);
  });
}

/** Whether the URL's host is an address literal that may not be reached (no lookup happens for those). */
export function literalBlocked(u: URL): string | null {
  const host = hostOf(u);
  return net.isIP(host) !== 0 && isPrivateAddress(host) ? host : null;
}
