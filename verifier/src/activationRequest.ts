import crypto from "node:crypto";
import { canonicalize } from "./canonical.js";
import { b64url, fromB64url, utf8 } from "./encoding.js";
import { armored, HOST_TYPES, type HostId, printable, wrap } from "./license.js";

export const ACTIVATION_REQUEST_FORMAT = "licensor-activation-request/1";
export const REQUEST_BEGIN = "-----BEGIN LICENSOR ACTIVATION REQUEST-----";
export const REQUEST_END = "-----END LICENSOR ACTIVATION REQUEST-----";

/**
 * What an air-gapped machine asks for: a license for these hosts under this activation ID. Signed
 * by nothing (the machine holds no secret): the portal that receives it authenticates the person
 * uploading it, and the nonce lets the server recognise the same file uploaded twice.
 */
export interface ActivationRequest {
  format: typeof ACTIVATION_REQUEST_FORMAT;
  activationId: string;
  hosts: HostId[];
  /** 16 to 64 base64url characters; 128 random bits unless given. */
  nonce: string;
  /** When the request was written, RFC 3339 UTC. */
  createdAt: string;
}

/** A request that cannot be read, naming the member at fault (`field`). */
export class ActivationRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = "ActivationRequestError";
  }
}

const MAX_ID = 255;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Writes the text of an offline activation request: a readable summary, then the request between BEGIN and END lines. */
export function writeActivationRequest(input: {
  activationId: string;
  hosts: HostId[];
  nonce?: string;
  createdAt?: Date;
}): string {
  const request: ActivationRequest = {
    format: ACTIVATION_REQUEST_FORMAT,
    activationId: input.activationId,
    hosts: Array.isArray(input.hosts) ? input.hosts.map((h) => ({ type: h?.type, id: h?.id })) : input.hosts,
    nonce: input.nonce ?? crypto.randomBytes(16).toString("base64url"),
    createdAt: (input.createdAt ?? new Date()).toISOString(),
  };
  check(request as unknown as Record<string, unknown>);
  const rows = [
    ["Activation ID", request.activationId],
    ["Hosts", request.hosts.map((h) => `${h.type} ${h.id}`).join(", ")],
    ["Created at", request.createdAt],
    ["Nonce", request.nonce],
  ];
  return [
    "Licensor activation request",
    "Carry this file to a machine that reaches the license portal and upload it there; the license comes back as a file.",
    "It holds no secret and is not signed. Only the block between the BEGIN and END lines is read.",
    "",
    ...rows.map(([k, v]) => `${`${k}:`.padEnd(15)}${printable(v as string)}`),
    "",
    REQUEST_BEGIN,
    wrap(b64url(canonicalize(request)), 64),
    REQUEST_END,
    "",
  ].join("\n");
}

/** Reads an activation request file; throws an {@link ActivationRequestError} naming what is wrong. */
export function readActivationRequest(text: string): ActivationRequest {
  if (typeof text !== "string") throw new ActivationRequestError("file", "must be text");
  const block = armored(text, REQUEST_BEGIN, REQUEST_END, "Licensor activation request");
  if ("problem" in block) throw new ActivationRequestError("file", block.problem);
  const bytes = fromB64url(block.body);
  const json = bytes ? utf8(bytes) : null;
  if (json === null) throw new ActivationRequestError("file", "the block is not base64url of UTF-8 text");
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new ActivationRequestError("file", "the block does not hold JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ActivationRequestError("file", "the block does not hold a JSON object");
  }
  const o = value as Record<string, unknown>;
  check(o);
  return {
    format: ACTIVATION_REQUEST_FORMAT,
    activationId: o.activationId as string,
    hosts: (o.hosts as HostId[]).map((h) => ({ type: h.type, id: h.id })),
    nonce: o.nonce as string,
    createdAt: o.createdAt as string,
  };
}

function check(o: Record<string, unknown>): void {
  if (o.format !== ACTIVATION_REQUEST_FORMAT)
    throw new ActivationRequestError("format", `must be "${ACTIVATION_REQUEST_FORMAT}" (got ${JSON.stringify(o.format)})`);
  const id = o.activationId;
  if (typeof id !== "string" || id.trim() === "" || id.length > MAX_ID || CONTROL.test(id))
    throw new ActivationRequestError("activationId", `must be 1 to ${MAX_ID} characters without control characters`);
  if (!Array.isArray(o.hosts) || o.hosts.length === 0) throw new ActivationRequestError("hosts", "must list at least one host");
  if (o.hosts.length > 100) throw new ActivationRequestError("hosts", "must list at most 100 hosts");
  for (const [i, h] of (o.hosts as unknown[]).entries()) {
    const host = h as Record<string, unknown> | null;
    if (typeof host !== "object" || host === null || !(HOST_TYPES as readonly unknown[]).includes(host.type))
      throw new ActivationRequestError(`hosts[${i}].type`, `must be one of ${HOST_TYPES.join(", ")}`);
    if (typeof host.id !== "string" || host.id.trim() === "" || host.id.length > MAX_ID || CONTROL.test(host.id))
      throw new ActivationRequestError(`hosts[${i}].id`, `must be 1 to ${MAX_ID} characters without control characters`);
  }
  if (typeof o.nonce !== "string" || !NONCE.test(o.nonce))
    throw new ActivationRequestError("nonce", "must be 16 to 64 base64url characters");
  if (typeof o.createdAt !== "string" || !/Z$/.test(o.createdAt) || Number.isNaN(Date.parse(o.createdAt)))
    throw new ActivationRequestError("createdAt", "must be an RFC 3339 UTC timestamp");
}
