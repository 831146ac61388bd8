import { describe, expect, it } from "vitest";
import {
  CROCKFORD,
  checkTypedKey,
  DEFAULT_KEY_FORMAT,
  generateKey,
  generateKeys,
  keyFormatProblems,
  keyRandomBits,
} from "./keyFormat.js";

describe("web register key format", () => {
  it("generates five groups of five Crockford symbols with 120 random bits", () => {
    const k = generateKey();
    expect(k).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$/);
    expect(keyRandomBits(DEFAULT_KEY_FORMAT)).toBe(120);
    expect(checkTypedKey(k)).toEqual({ kind: "generated", canonical: k });
  });

  it("reads keys typed carelessly: lower case, spaces, no dashes, O for 0 and l for 1", () => {
    for (let i = 0; i < 200; i++) {
      const k = generateKey();
      const sloppy = k.toLowerCase().replace(/-/g, " ").replace(/0/g, "o").replace(/1/g, "l");
      expect(checkTypedKey(` ${sloppy} `)).toEqual({ kind: "generated", canonical: k });
    }
  });

  it("catches every single-symbol typo and every adjacent swap", () => {
    for (let n = 0; n < 40; n++) {
      const k = generateKey();
      const s = k.replace(/-/g, "");
      for (let i = 0; i < s.length; i++) {
        for (const c of CROCKFORD) {
          if (c === s[i]) continue;
          const typo = s.slice(0, i) + c + s.slice(i + 1);
          expect(checkTypedKey(typo).kind).toBe("typo");
        }
        if (i + 1 < s.length && s[i] !== s[i + 1]) {
          const swapped = s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
          expect(checkTypedKey(swapped).kind).toBe("typo");
        }
      }
    }
  });

  it("generates batches of valid, distinct keys", () => {
    const keys = generateKeys(5000);
    expect(new Set(keys).size).toBe(5000);
    for (const k of keys) expect(checkTypedKey(k)).toEqual({ kind: "generated", canonical: k });
  });

  it("treats other shapes as keys to look up as typed (imported keys)", () => {
    expect(checkTypedKey("  WRK-0001  ")).toEqual({ kind: "other", value: "WRK-0001" });
    expect(checkTypedKey("U".repeat(25))).toEqual({ kind: "other", value: "U".repeat(25) });
  });

  it("uses every symbol evenly", () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++)
      for (const c of generateKey().replace(/-/g, "").slice(0, 24)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(32);
    for (const v of counts.values()) expect(Math.abs(v - 3000)).toBeLessThan(400);
  });

  it("refuses formats with under 100 random bits", () => {
    expect(keyFormatProblems({ groups: 4, groupLength: 5, separator: "-" }).map((p) => p.field)).toEqual(["keyFormat.groups"]);
    expect(keyFormatProblems({ groups: 3, groupLength: 7, separator: "-" })).toEqual([]);
    expect(keyFormatProblems({ groups: 5, groupLength: 5, separator: "/" }).map((p) => p.field)).toEqual(["keyFormat.separator"]);
  });
});
