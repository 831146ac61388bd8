import { describe, expect, it } from "vitest";
import { CROCKFORD, isKeySymbol } from "./keyCheck.js";

describe("key symbols", () => {
  it("are Crockford's alphabet in upper case, with its look-alikes O, I and L", () => {
    for (const c of CROCKFORD) expect(isKeySymbol(c)).toBe(true);
    for (const c of "OIL") expect(isKeySymbol(c)).toBe(true);
    // U is left out of the alphabet; lower case and separators are not symbols (callers upper-case and strip first).
    for (const c of ["U", "a", "-", " ", "", "00"]) expect(isKeySymbol(c)).toBe(false);
  });
});
