import { describe, expect, it } from "vitest";
import { specifiedIdProblem } from "./ids.js";
import { DEFAULT_TEMPLATES, generateId, type IdTemplate, templateEntropyBits, templateProblems } from "./idTemplates.js";

describe("ID templates", () => {
  it("generates IDs in the template's shape from its alphabet", () => {
    const id = generateId(DEFAULT_TEMPLATES.entitlement);
    expect(id).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){4}$/);
    const t: IdTemplate = { prefix: "ENT-{kind}{year}-", groups: 3, groupLength: 5, separator: ".", alphabet: "ABCDEFGHJK" };
    expect(templateProblems(t).map((p) => p.field)).toContain("template.prefix"); // "." is forbidden in IDs
    const ok: IdTemplate = { ...t, separator: "_" };
    expect(templateProblems(ok)).toEqual([]);
    expect(generateId(ok, { kind: "BULK", now: new Date("2031-05-05") })).toMatch(/^ENT-B2031-[A-HJK]{5}_[A-HJK]{5}_[A-HJK]{5}$/);
    expect(generateId({ ...ok, prefix: "{orderId}/".replace("/", "-") }, { orderId: "PO 77!" })).toMatch(/^PO77-/);
  });

  it("every generated default ID passes the specified-ID rules", () => {
    for (let i = 0; i < 200; i++) {
      expect(specifiedIdProblem(generateId(DEFAULT_TEMPLATES.activation))).toBeNull();
    }
  });

  it("draws characters uniformly (no modulo bias)", () => {
    const t: IdTemplate = { prefix: "", groups: 1, groupLength: 16, separator: "-", alphabet: "abc" };
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 3000; i++) for (const ch of generateId(t)) counts[ch]!++;
    for (const n of Object.values(counts)) expect(Math.abs(n - 16000)).toBeLessThan(800);
  });

  it("refuses weak, malformed and over-long templates with field names", () => {
    const f = (t: Partial<IdTemplate>) => templateProblems({ ...DEFAULT_TEMPLATES.entitlement, ...t }).map((p) => p.field);
    expect(f({ groups: 1, groupLength: 4 })).toEqual(["template.groups"]); // 16 bits
    expect(f({ alphabet: "aa" })).toContain("template.alphabet");
    expect(f({ alphabet: "ab#" })).toContain("template.alphabet");
    expect(f({ groups: 0 })).toContain("template.groups");
    expect(f({ prefix: "{customer}-" })).toContain("template.prefix");
    expect(f({ groups: 16, groupLength: 16, prefix: "x".repeat(10) })).toEqual(["template.groups"]);
    expect(templateEntropyBits(DEFAULT_TEMPLATES.activation)).toBe(96);
  });
});
