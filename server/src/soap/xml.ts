import { SaxesParser } from "saxes";

/** An element as the facade reads it: its namespace and local name, child elements and text. */
export interface XmlElement {
  ns: string;
  name: string;
  children: XmlElement[];
  text: string;
}

/** Input that is not XML the facade will read; worded for the SOAP Fault's faultstring. */
export class XmlError extends Error {}

/**
 * Limits of one request document. The body size is Fastify's body limit on the SOAP routes
 * (SOAP_BODY_LIMIT); these bound what a small document can still make the parser build.
 */
export const XML_LIMITS = {
  maxDepth: 32,
  maxElements: 250_000,
  maxTextChars: 1_000_000,
};

/**
 * Parses a SOAP request with saxes, hardened: a DOCTYPE is refused as soon as it is seen (so no
 * DTD, no entity declaration, no external entity is ever read: the billion-laughs and XXE attacks
 * stop there), only the five predefined entities and character references exist (saxes refuses
 * any other), and depth, element count and text size are bounded. Attributes other than namespace
 * declarations carry nothing in this service's schema and are ignored.
 */
export function parseXml(text: string): XmlElement {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let elements = 0;
  let failure: XmlError | null = null;
  const fail = (message: string) => {
    failure ??= new XmlError(message);
    throw failure;
  };
  parser.on("error", (err) => fail(`Malformed XML: ${err.message}`));
  parser.on("doctype", () => fail("A DOCTYPE (DTD) is not accepted: SOAP messages carry none."));
  parser.on("opentag", (tag) => {
    if (stack.length >= XML_LIMITS.maxDepth) fail(`The XML nests deeper than ${XML_LIMITS.maxDepth} elements.`);
    if (++elements > XML_LIMITS.maxElements) fail(`The XML has more than ${XML_LIMITS.maxElements} elements.`);
    const el: XmlElement = { ns: tag.uri ?? "", name: tag.local ?? tag.name, children: [], text: "" };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) fail("The XML has more than one root element.");
    else root = el;
    stack.push(el);
  });
  const addText = (t: string) => {
    const el = stack[stack.length - 1];
    if (!el) {
      if (t.trim() !== "") fail("Text outside the root element.");
      return;
    }
    if (el.text.length + t.length > XML_LIMITS.maxTextChars)
      fail(`An element's text is longer than ${XML_LIMITS.maxTextChars} characters.`);
    el.text += t;
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", () => {
    stack.pop();
  });
  try {
    parser.write(text).close();
  } catch (err) {
    if (failure) throw failure;
    throw new XmlError(`Malformed XML: ${(err as Error).message}`);
  }
  if (!root) throw new XmlError("The request has no XML document.");
  return root;
}

/** Text escaped for element content. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/** Text escaped for a double-quoted attribute. */
export function escapeAttr(s: string): string {
  return escapeXml(s).replace(/"/g, "&quot;");
}
