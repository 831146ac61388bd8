import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { Estimator, passwordProblem, stopPasswordEstimator } from "../src/security/passwordStrength.js";
import { generatePassword } from "../src/security/passwords.js";

// No database: the password rules and the thread zxcvbn runs in.
afterAll(() => stopPasswordEstimator());

describe("password strength, estimated off the request thread", () => {
  it("refuses guessable passwords with the reason in words and accepts a passphrase", async () => {
    expect(await passwordProblem("password1234")).toMatch(
      /^is too easy to guess \(this is similar to a commonly used password\)/,
    );
    expect(await passwordProblem("123456789012")).toMatch(/^is too easy to guess/);
    expect(await passwordProblem("short")).toBe("must be at least 12 characters");
    expect(await passwordProblem("aaaaaaaaaaaaaaaa")).toBe("must not be one character repeated");
    expect(await passwordProblem("marble cactus lantern oyster")).toBeNull();
    // The user's own words count as known: the company name padded out is refused.
    expect(await passwordProblem("Zorblatt Widgets 2026", "ann@zorblatt.example", ["Zorblatt Widgets"])).toMatch(
      /^is too easy to guess/,
    );
    expect(await passwordProblem("Zorblatt Widgets 2026", "ann@other.example")).toBeNull();
  });

  it("answers many concurrent checks, each with its own verdict", async () => {
    const weak = ["password1234", "qwertyuiop12", "iloveyou2024", "123456789012", "letmein12345"];
    const strong = ["marble cactus lantern oyster", "violet tundra pickle anthem", "quartz meadow bishop tango"];
    const all = Array.from({ length: 40 }, (_, i) =>
      i % 2 ? (weak[i % weak.length] as string) : (strong[i % strong.length] as string),
    );
    const verdicts = await Promise.all(all.map((p) => passwordProblem(p)));
    verdicts.forEach((v, i) => {
      if (i % 2) expect(v, all[i]).toMatch(/^is too easy to guess/);
      else expect(v, all[i]).toBeNull();
    });
  });

  it("never loads the dictionaries on the request thread, and a stopped estimator is replaced", async () => {
    expect(await passwordProblem("password1234")).not.toBeNull();
    // The dictionaries are CommonJS modules: loaded on this thread they would be in its module cache.
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes("@zxcvbn-ts"));
    expect(loaded).toEqual([]);
    await stopPasswordEstimator();
    expect(await passwordProblem("password1234")).toMatch(/^is too easy to guess/);
    expect(await passwordProblem("marble cactus lantern oyster")).toBeNull();
  });

  it("stops its worker once no check has come for a while, and starts one again at the next check", async () => {
    const estimator = new Estimator(300);
    try {
      expect(estimator.running).toBe(false);
      const weak = await estimator.estimate("password1234", []);
      expect(weak.score).toBeLessThan(3);
      expect(estimator.running).toBe(true);
      // A check inside the idle time keeps the same worker and pushes the stop back.
      await new Promise((r) => setTimeout(r, 150));
      expect((await estimator.estimate("marble cactus lantern oyster", [])).score).toBeGreaterThanOrEqual(3);
      await new Promise((r) => setTimeout(r, 150));
      expect(estimator.running).toBe(true);
      for (let i = 0; estimator.running; i++) {
        expect(i, "the idle worker was not stopped").toBeLessThan(100);
        await new Promise((r) => setTimeout(r, 20));
      }
      // Checks that come together right after the stop each get their verdict from a new worker.
      const again = await Promise.all([
        estimator.estimate("password1234", []),
        estimator.estimate("marble cactus lantern oyster", []),
      ]);
      expect(again.map((e) => e.score >= 3)).toEqual([false, true]);
      expect(estimator.running).toBe(true);
    } finally {
      await estimator.stop();
    }
    expect(estimator.running).toBe(false);
  });

  it("generates passwords its own policy accepts", async () => {
    const generated = await Promise.all(Array.from({ length: 5 }, () => generatePassword()));
    for (const p of generated) {
      expect(p).toMatch(/^[A-HJ-NP-Za-hj-np-z2-9]{20}$/);
      expect(await passwordProblem(p)).toBeNull();
    }
  });
});
