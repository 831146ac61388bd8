import { BUILTINS, ENUMS, type Field, OPERATIONS, type SoapVersion, TYPES_BY_VERSION, typesOf } from "./schema.js";
import { escapeAttr } from "./xml.js";

const XSD = "http://www.w3.org/2001/XMLSchema";

const typeRef = (t: string) => (BUILTINS.has(t) ? `xsd:${t}` : `tns:${t}`);
const occurs = (f: Field) => `${f.min === 1 ? "" : ` minOccurs="0"`}${f.max === 1 ? "" : ` maxOccurs="unbounded"`}`;

/**
 * The XML Schema of one version: every type of schema.ts (enumerations as NMTOKEN restrictions,
 * sequences with their cardinalities, child elements qualified) and one element per request and
 * response of the 43 operations. The WSDL embeds it; tests validate responses against it.
 */
export function xsdFor(v: SoapVersion): string {
  const ns = v.ns;
  const out: string[] = [
    `<xsd:schema xmlns:xsd="${XSD}" xmlns:tns="${escapeAttr(ns)}" targetNamespace="${escapeAttr(ns)}" elementFormDefault="qualified">`,
  ];
  for (const [name, values] of Object.entries(ENUMS)) {
    out.push(`<xsd:simpleType name="${name}"><xsd:restriction base="xsd:NMTOKEN">`);
    for (const v of values) out.push(`<xsd:enumeration value="${v}"/>`);
    out.push("</xsd:restriction></xsd:simpleType>");
  }
  for (const t of Object.values(TYPES_BY_VERSION[v.version] ?? {})) {
    out.push(`<xsd:complexType name="${t.name}"><xsd:sequence>`);
    if (t.open) out.push(`<xsd:any namespace="##any" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>`);
    for (const f of t.fields) out.push(`<xsd:element name="${f.name}" type="${typeRef(f.type)}"${occurs(f)}/>`);
    out.push("</xsd:sequence></xsd:complexType>");
  }
  for (const [op, req, res] of OPERATIONS) {
    const t = typesOf(op);
    out.push(`<xsd:element name="${req}" type="tns:${t.request}"/>`, `<xsd:element name="${res}" type="tns:${t.response}"/>`);
  }
  out.push("</xsd:schema>");
  return out.join("\n");
}

/**
 * The WSDL of one version, of Licensor's own writing: SOAP 1.1, document/literal, `soapAction=""`,
 * one input and one output element per operation, the service at `location`. Names are plain
 * NCNames (FNO's Axis names hold a `/`, which strict tooling refuses); the wire is unchanged.
 */
export function wsdlFor(v: SoapVersion, location: string): string {
  const ns = escapeAttr(v.ns);
  const portType =
    v.version === "base" ? "EntitlementOrderServiceInterface" : `EntitlementOrderServiceInterface${v.version.toUpperCase()}`;
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:wsdlsoap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="${XSD}" xmlns:tns="${ns}" targetNamespace="${ns}">`,
    "<wsdl:types>",
    xsdFor(v),
    "</wsdl:types>",
  ];
  for (const [op, req, res] of OPERATIONS) {
    out.push(
      `<wsdl:message name="${op}Input"><wsdl:part name="parameters" element="tns:${req}"/></wsdl:message>`,
      `<wsdl:message name="${op}Output"><wsdl:part name="parameters" element="tns:${res}"/></wsdl:message>`,
    );
  }
  out.push(`<wsdl:portType name="${portType}">`);
  for (const [op] of OPERATIONS)
    out.push(
      `<wsdl:operation name="${op}"><wsdl:input message="tns:${op}Input"/><wsdl:output message="tns:${op}Output"/></wsdl:operation>`,
    );
  out.push("</wsdl:portType>");
  out.push(
    `<wsdl:binding name="EntitlementOrderServiceSoapBinding" type="tns:${portType}">`,
    `<wsdlsoap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>`,
  );
  for (const [op] of OPERATIONS)
    out.push(
      `<wsdl:operation name="${op}"><wsdlsoap:operation soapAction=""/><wsdl:input><wsdlsoap:body use="literal"/></wsdl:input><wsdl:output><wsdlsoap:body use="literal"/></wsdl:output></wsdl:operation>`,
    );
  out.push("</wsdl:binding>");
  out.push(
    `<wsdl:service name="EntitlementOrderService">`,
    `<wsdl:port name="EntitlementOrderService" binding="tns:EntitlementOrderServiceSoapBinding"><wsdlsoap:address location="${escapeAttr(location)}"/></wsdl:port>`,
    "</wsdl:service>",
    "</wsdl:definitions>",
  );
  return out.join("\n");
}
