import { expect } from "vitest";
import { validateXML } from "xmllint-wasm";
import type { TestEnv } from "./helpers.js";

/**
 * Sending SOAP requests as a client generated from the WSDL does (every element qualified), and
 * checking answers against the served WSDL's schema with libxml2. Shared by the SOAP test files.
 */

export const V4 = "urn:v4.webservices.operations.flexnet.com";
export const BASE = "urn:com.macrovision:flexnet/operations";
export const PATH4 = "/flexnet/services/v4/EntitlementOrderService";
export const ENV = "http://schemas.xmlsoap.org/soap/envelope/";

/** An element of the request, qualified as a client generated from the WSDL writes it (prefix ns0). */
export type Node = string | number | boolean | Node[] | { [name: string]: Node | undefined };
export function xml(name: string, value: Node | undefined): string {
  if (value === undefined) return "";
  if (Array.isArray(value)) return value.map((v) => xml(name, v)).join("");
  if (typeof value === "object")
    return `<ns0:${name}>${Object.entries(value)
      .map(([k, v]) => xml(k, v))
      .join("")}</ns0:${name}>`;
  const text = String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<ns0:${name}>${text}</ns0:${name}>`;
}

export function envelope(request: string, body: Node, opts: { ns?: string; header?: string } = {}): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<soap-env:Envelope xmlns:soap-env="${ENV}"><soap-env:Header>${opts.header ?? ""}</soap-env:Header><soap-env:Body>${xml(
    request,
    body,
  ).replace(`<ns0:${request}>`, `<ns0:${request} xmlns:ns0="${opts.ns ?? V4}">`)}</soap-env:Body></soap-env:Envelope>`;
}

export const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** Every element's text of that local name, in document order. */
export const texts = (doc: string, name: string) =>
  [...doc.matchAll(new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${name}>`, "g"))].map(
    (m) => m[1] as string,
  );
export const statusOf = (doc: string) => texts(doc, "status")[0];

/** The schema embedded in the served WSDL of a path, fetched once per test. */
export async function schemaOf(env: TestEnv, path = PATH4): Promise<string> {
  const res = await env.app.inject({ method: "GET", url: `${path}?wsdl` });
  expect(res.statusCode).toBe(200);
  const m = /<xsd:schema[\s\S]*<\/xsd:schema>/.exec(res.body);
  expect(m).not.toBeNull();
  return (m as RegExpExecArray)[0];
}

/** Validates the Body's response element against our WSDL's schema with libxml2 (xmllint-wasm). */
export async function expectValid(doc: string, schema: string) {
  const m = /<soapenv:Body>([\s\S]*)<\/soapenv:Body>/.exec(doc);
  expect(m, doc).not.toBeNull();
  const r = await validateXML({
    xml: [{ fileName: "response.xml", contents: (m as RegExpExecArray)[1] as string }],
    schema: [{ fileName: "schema.xsd", contents: schema }],
  });
  expect(r.errors, `${doc}\n${r.rawOutput}`).toEqual([]);
  expect(r.valid).toBe(true);
}

export type Soap = (
  request: string,
  body: Node,
  opts?: { ns?: string; path?: string; headers?: Record<string, string>; header?: string },
) => Promise<{
  statusCode: number;
  body: string;
  headers: Record<string, unknown>;
}>;

/** A SOAP client over HTTP (inject) with the given Authorization header. */
export function soapClient(env: TestEnv, authorization: string | null): Soap {
  return async (request, body, opts = {}) => {
    const res = await env.app.inject({
      method: "POST",
      url: opts.path ?? PATH4,
      headers: {
        "content-type": "text/xml; charset=utf-8",
        soapaction: '""',
        ...(authorization ? { authorization } : {}),
        ...(opts.headers ?? {}),
      },
      payload: envelope(request, body, opts),
    });
    return { statusCode: res.statusCode, body: res.body, headers: res.headers };
  };
}
