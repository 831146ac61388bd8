import { describe, expect, it } from "vitest";
import {
  attributeProblems,
  attributeValueProblem,
  type CatalogState,
  canMove,
  canReference,
  deleteStateProblem,
  editProblem,
  featureProblems,
  isConfigurable,
  isDeletableState,
  LICENSE_MODEL_EDITABLE,
  LICENSE_MODEL_FIELDS,
  nextStates,
  normalizeAttribute,
  PRODUCT_EDITABLE,
  PRODUCT_FIELDS,
  partnerTierNameProblem,
  productDeployProblem,
  productLabel,
  productProblems,
  stateChangeProblem,
} from "./catalog.js";

const STATES: CatalogState[] = ["DRAFT", "DEPLOYED", "OBSOLETE"];
const ALLOWED = new Set(["DRAFT>DEPLOYED", "DRAFT>OBSOLETE", "DEPLOYED>OBSOLETE"]);

describe("catalog state transitions", () => {
  for (const from of STATES) {
    for (const to of STATES) {
      const ok = ALLOWED.has(`${from}>${to}`);
      it(`${from} → ${to} is ${ok ? "allowed" : "refused"}`, () => {
        expect(canMove(from, to)).toBe(ok);
        expect(nextStates(from).includes(to)).toBe(ok);
        const p = stateChangeProblem("Product 'X 1.0'", from, to);
        if (ok) expect(p).toBeNull();
        else if (from === to) expect(p).toBe(`Product 'X 1.0' is already ${to}.`);
        else expect(p).toContain(`Product 'X 1.0' cannot be moved from ${from} to ${to}`);
      });
    }
  }

  it("words the way out of a refused move", () => {
    expect(stateChangeProblem("Product 'X 1.0'", "DEPLOYED", "DRAFT")).toBe(
      "Product 'X 1.0' cannot be moved from DEPLOYED to DRAFT; from DEPLOYED it can only go to OBSOLETE.",
    );
    expect(stateChangeProblem("License model 'M'", "OBSOLETE", "DEPLOYED")).toBe(
      "License model 'M' cannot be moved from OBSOLETE to DEPLOYED; OBSOLETE is final.",
    );
  });

  it("deploys a product only when all its license models are deployed", () => {
    expect(productDeployProblem("Product 'X 1.0'", [])).toBeNull();
    expect(productDeployProblem("Product 'X 1.0'", [{ name: "A", state: "DEPLOYED" }])).toBeNull();
    const p = productDeployProblem("Product 'X 1.0'", [
      { name: "A", state: "DEPLOYED" },
      { name: "B", state: "DRAFT" },
    ]);
    expect(p).toContain("Product 'X 1.0' cannot be deployed");
    expect(p).toContain("'B' is DRAFT");
    expect(p).not.toContain("'A'");
  });

  it("deletes only DRAFT items", () => {
    expect(deleteStateProblem("P", "DRAFT")).toBeNull();
    expect((["DRAFT", "DEPLOYED", "OBSOLETE"] as const).filter(isDeletableState)).toEqual(["DRAFT"]);
    // Nothing new refers to an OBSOLETE object; a reference it already has is kept.
    expect(canReference("OBSOLETE", false)).toBe(false);
    expect(canReference("OBSOLETE", true)).toBe(true);
    expect(canReference("DRAFT", false) && canReference("DEPLOYED", false)).toBe(true);
    // An entitlement's configuration uses deployed catalog objects; a test entitlement may try drafts.
    expect(["DRAFT", "DEPLOYED", "OBSOLETE"].filter((s) => isConfigurable(s, false))).toEqual(["DEPLOYED"]);
    expect(["DRAFT", "DEPLOYED", "OBSOLETE"].filter((s) => isConfigurable(s, true))).toEqual(["DRAFT", "DEPLOYED"]);
    expect(deleteStateProblem("P", "DEPLOYED")).toContain("Make it OBSOLETE instead");
    expect(deleteStateProblem("P", "OBSOLETE")).toContain("only DRAFT items can be deleted");
  });
});

describe("what may be edited in which state", () => {
  it("products: DRAFT anything, DEPLOYED description and references, OBSOLETE nothing", () => {
    for (const f of PRODUCT_FIELDS) expect(editProblem("P", "DRAFT", [f], PRODUCT_EDITABLE.DRAFT)).toBeNull();
    for (const f of ["description", "licenseModelIds", "upgradeToIds", "upsellToIds"]) {
      expect(editProblem("P", "DEPLOYED", [f], PRODUCT_EDITABLE.DEPLOYED)).toBeNull();
    }
    for (const f of ["name", "version", "type", "features"]) {
      const p = editProblem("Product 'X 1.0'", "DEPLOYED", ["description", f], PRODUCT_EDITABLE.DEPLOYED);
      expect(p?.field).toBe(f);
      expect(p?.message).toContain(
        "Product 'X 1.0' is DEPLOYED: only description, licenseModelIds, upgradeToIds and upsellToIds",
      );
      expect(p?.message).toContain(`not ${f}`);
    }
    for (const f of PRODUCT_FIELDS) {
      expect(editProblem("Product 'X 1.0'", "OBSOLETE", [f], PRODUCT_EDITABLE.OBSOLETE)).toEqual({
        field: f,
        message: "Product 'X 1.0' is OBSOLETE and cannot be changed.",
      });
    }
  });

  it("license models: DRAFT anything, DEPLOYED description and policies, OBSOLETE nothing", () => {
    for (const f of LICENSE_MODEL_FIELDS) expect(editProblem("M", "DRAFT", [f], LICENSE_MODEL_EDITABLE.DRAFT)).toBeNull();
    for (const f of LICENSE_MODEL_FIELDS) {
      const p = editProblem("M", "DEPLOYED", [f], LICENSE_MODEL_EDITABLE.DEPLOYED);
      if (f === "description" || f === "policies") expect(p).toBeNull();
      else expect(p?.field).toBe(f);
      expect(editProblem("M", "OBSOLETE", [f], LICENSE_MODEL_EDITABLE.OBSOLETE)?.field).toBe(f);
    }
  });
});

describe("product fields", () => {
  it("labels a product by name and version", () => {
    expect(productLabel("Acme CAD", "2.0")).toBe("Product 'Acme CAD 2.0'");
  });

  it("refuses empty names, duplicate features and lists, and self relations", () => {
    expect(productProblems({ name: "X", version: "1.0" })).toEqual([]);
    expect(productProblems({ name: " ", version: "" }).map((p) => p.field)).toEqual(["name", "version"]);
    const p = productProblems(
      {
        features: [
          { name: "f", version: "1", count: null },
          { name: "g", version: "1", count: 2 },
          { name: "f", version: "1", count: 5 },
        ],
        licenseModelIds: ["a", "b", "a"],
        upgradeToIds: ["SELF"],
        upsellToIds: ["x", "SELF"],
      },
      "SELF",
    );
    expect(p).toEqual([
      { field: "features[2].name", message: "feature 'f' version '1' is already listed at features[0]" },
      { field: "licenseModelIds[2]", message: "'a' is already listed at licenseModelIds[0]" },
      { field: "upgradeToIds[0]", message: "a product cannot be related to itself" },
      { field: "upsellToIds[1]", message: "a product cannot be related to itself" },
    ]);
  });

  it("allows the same feature name in another version, and checks counts", () => {
    expect(
      featureProblems([
        { name: "f", version: "1", count: 1 },
        { name: "f", version: "2", count: null },
      ]),
    ).toEqual([]);
    expect(featureProblems([{ name: "f", version: "1", count: 0 }]).map((p) => p.field)).toEqual(["features[0].count"]);
  });
});

describe("attribute definitions", () => {
  const base = { time: "ENTITLEMENT", required: false } as const;

  it("validates default values against the value type", () => {
    expect(attributeValueProblem("STRING", "anything")).toBeNull();
    expect(attributeValueProblem("NUMBER", "-12.5")).toBeNull();
    expect(attributeValueProblem("NUMBER", "12a")).toContain("is not a number");
    expect(attributeValueProblem("NUMBER", "1e5")).toContain("is not a number");
    expect(attributeValueProblem("DATE", "2026-02-28")).toBeNull();
    expect(attributeValueProblem("DATE", "2026-02-30")).toContain("YYYY-MM-DD");
    expect(attributeValueProblem("DATE", "28.02.2026")).toContain("YYYY-MM-DD");
    expect(attributeValueProblem("BOOLEAN", "true")).toBeNull();
    expect(attributeValueProblem("BOOLEAN", "false")).toBeNull();
    expect(attributeValueProblem("BOOLEAN", "yes")).toContain("not true or false");
    expect(attributeValueProblem("ENUM", "b", ["a", "b"])).toBeNull();
    expect(attributeValueProblem("ENUM", "c", ["a", "b"])).toContain("not one of the allowed values (a, b)");
  });

  it("requires allowed values for ENUM only, and names each problem's field", () => {
    expect(attributeProblems([{ ...base, name: "E", valueType: "ENUM", allowedValues: ["a"], defaultValue: "a" }])).toEqual([]);
    expect(attributeProblems([{ ...base, name: "S", valueType: "STRING", allowedValues: [] }])).toEqual([]);
    expect(attributeProblems([{ ...base, name: "E", valueType: "ENUM" }])).toEqual([
      { field: "attributes[0].allowedValues", message: "an ENUM attribute needs at least one allowed value" },
    ]);
    expect(attributeProblems([{ ...base, name: "S", valueType: "STRING", allowedValues: ["x"] }])[0]?.field).toBe(
      "attributes[0].allowedValues",
    );
    expect(attributeProblems([{ ...base, name: "E", valueType: "ENUM", allowedValues: ["a", "a"] }])[0]?.field).toBe(
      "attributes[0].allowedValues[1]",
    );
    expect(attributeProblems([{ ...base, name: "N", valueType: "NUMBER", defaultValue: "x" }])[0]?.field).toBe(
      "attributes[0].defaultValue",
    );
  });

  it("refuses duplicate attribute names, ignoring case", () => {
    const p = attributeProblems([
      { ...base, name: "Seats", valueType: "NUMBER" },
      { ...base, name: "seats", valueType: "STRING" },
    ]);
    expect(p).toEqual([{ field: "attributes[1].name", message: "attribute 'seats' is already defined at attributes[0]" }]);
  });

  it("stores absent values explicitly", () => {
    expect(normalizeAttribute({ ...base, name: " A ", valueType: "STRING" })).toEqual({
      ...base,
      name: "A",
      valueType: "STRING",
      defaultValue: null,
      allowedValues: [],
    });
  });
});

describe("partner tier names", () => {
  it("accepts FNO-style constants only", () => {
    expect(partnerTierNameProblem("bo.constants.partnertiernames.tier2")).toBeNull();
    expect(partnerTierNameProblem("Reseller_2-b")).toBeNull();
    expect(partnerTierNameProblem("has space")).not.toBeNull();
    expect(partnerTierNameProblem("")).not.toBeNull();
    expect(partnerTierNameProblem("x".repeat(129))).not.toBeNull();
  });
});
