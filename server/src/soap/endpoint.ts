import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { RequestContext } from "../actor.js";
import { AppError } from "../errors.js";
import { soapActor } from "./auth.js";
import { decode, encode, SchemaViolation } from "./codec.js";
import { runOperation } from "./operations.js";
import { OPERATIONS, type SoapVersion, TYPES_BY_VERSION, typesOf, VERSIONS } from "./schema.js";
import { wsdlFor } from "./wsdl.js";
import { escapeXml, parseXml, type XmlElement, XmlError } from "./xml.js";

/** The largest SOAP request read: 10,000 keys in one addWebRegKeyRequest fit with room to spare. */
export const SOAP_BODY_LIMIT = 4 * 1024 * 1024;

const ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/";
const SOAP12_ENV_NS = "http://www.w3.org/2003/05/soap-envelope";
const XML_TYPE = "text/xml; charset=utf-8";

/** A request the facade answers with a SOAP 1.1 Fault (HTTP 500 unless `status` says otherwise). */
class Fault extends Error {
  constructor(
    readonly code: "Client" | "Server" | "VersionMismatch",
    message: string,
    readonly status = 500,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function faultXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENV_NS}"><soapenv:Body><soapenv:Fault><faultcode>soapenv:${code}</faultcode><faultstring>${escapeXml(message)}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
}

function sendFault(reply: FastifyReply, f: Fault) {
  return reply.status(f.status).headers(f.headers).type(XML_TYPE).send(faultXml(f.code, f.message));
}

/** The Envelope's Header and first Body child, or a Fault saying what is wrong with it. */
function envelopeParts(root: XmlElement): { header: XmlElement | undefined; op: XmlElement } {
  if (root.name !== "Envelope") throw new Fault("Client", `The document is a <${root.name}>, not a SOAP Envelope.`);
  if (root.ns === SOAP12_ENV_NS)
    throw new Fault("VersionMismatch", "SOAP 1.2 envelopes are not supported: this service speaks SOAP 1.1.");
  if (root.ns !== ENV_NS) throw new Fault("VersionMismatch", `The Envelope's namespace must be ${ENV_NS}.`);
  let header: XmlElement | undefined;
  let body: XmlElement | undefined;
  for (const c of root.children) {
    if (c.ns !== ENV_NS) throw new Fault("Client", `Unexpected <${c.name}> in the Envelope.`);
    if (c.name === "Header" && !header && !body) header = c;
    else if (c.name === "Body" && !body) body = c;
    else throw new Fault("Client", `Unexpected <${c.name}> in the Envelope.`);
  }
  if (!body) throw new Fault("Client", "The Envelope has no Body.");
  const op = body.children[0];
  if (!op) throw new Fault("Client", "The Body is empty: it must hold the operation's request element.");
  return { header, op };
}

/** Request element (by namespace and name) → version and operation. */
const DISPATCH = new Map<string, { version: SoapVersion; operation: string; response: string }>();
for (const version of VERSIONS)
  for (const [operation, request, response] of OPERATIONS)
    DISPATCH.set(`{${version.ns}}${request}`, { version, operation, response });

/**
 * FNO's EntitlementOrderService over SOAP 1.1 at the base path and /v1 to /v4: the WSDL at `?wsdl`,
 * requests dispatched on the QName of the first Body child (SOAPAction is always "" in FNO), read
 * and answered by the schema-driven codec, run by the API's own commands and repos
 * (operations.ts). A broken request is a Fault; a refused item a statusInfo FAILURE.
 */
export async function soapRoutes(app: FastifyInstance) {
  app.addContentTypeParser(
    ["text/xml", "application/soap+xml", "application/xml"],
    { parseAs: "string", bodyLimit: SOAP_BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );
  // Everything that goes wrong on these routes, the body parser's refusals included, is a Fault.
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    if (err instanceof Fault) return sendFault(reply, err);
    const status = err.statusCode ?? 500;
    if (status >= 500) req.log.error({ err }, "SOAP request failed");
    const message = status >= 500 ? "Internal error: nothing of this request's current item was saved." : err.message;
    return sendFault(reply, new Fault(status >= 500 ? "Server" : "Client", message, status === 400 ? 500 : status));
  });

  for (const v of VERSIONS) {
    app.get(v.path, { schema: { hide: true } }, async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      if (Object.keys(query).some((k) => k.toLowerCase() === "wsdl"))
        return reply.type(XML_TYPE).send(wsdlFor(v, `${req.protocol}://${req.host}${v.path}`));
      return reply
        .type("text/plain; charset=utf-8")
        .send(`EntitlementOrderService (${v.version}): POST SOAP 1.1 requests here; the WSDL is at ${v.path}?wsdl\n`);
    });
    app.post(v.path, { schema: { hide: true }, bodyLimit: SOAP_BODY_LIMIT }, (req, reply) => handle(app, req, reply));
  }
}

async function handle(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply) {
  if (typeof req.body !== "string") throw new Fault("Client", "Send the SOAP envelope as text/xml.", 415);
  let root: XmlElement;
  try {
    root = parseXml(req.body);
  } catch (err) {
    if (err instanceof XmlError) throw new Fault("Client", err.message);
    throw err;
  }
  const { header, op } = envelopeParts(root);
  const target = DISPATCH.get(`{${op.ns}}${op.name}`);
  if (!target) throw new Fault("Client", `Unknown operation: no EntitlementOrderService request is named {${op.ns}}${op.name}.`);
  let ctx: RequestContext;
  try {
    ctx = { actor: await soapActor(app.deps.db, req, header), requestId: req.id, ip: req.ip, interface: "SOAP" };
  } catch (err) {
    if (err instanceof AppError)
      throw new Fault("Client", err.message, err.status, {
        ...(err.headers ?? {}),
        ...(err.status === 401 ? { "www-authenticate": 'Basic realm="Licensor"' } : {}),
      });
    throw err;
  }
  const types = typesOf(target.operation);
  const schema = TYPES_BY_VERSION[target.version.version] ?? {};
  let request: unknown;
  try {
    request = decode(op, types.request, op.ns, schema);
  } catch (err) {
    if (err instanceof SchemaViolation) throw new Fault("Client", `Schema violation: ${err.message}`);
    throw err;
  }
  const response = await runOperation(app.deps, ctx, target.operation, request, target.version.version);
  const parts = encode(target.response, types.response, response, "ns1", schema);
  // The response element declares its own namespace: the element stands alone (tests validate it so).
  parts[0] = `<ns1:${target.response} xmlns:ns1="${target.version.ns}">`;
  return reply
    .type(XML_TYPE)
    .send(
      `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${ENV_NS}"><soapenv:Body>${parts.join("")}</soapenv:Body></soapenv:Envelope>`,
    );
}
