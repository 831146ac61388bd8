import { describe, expect, it } from "vitest";
import {
  DEFAULT_EMAIL_TEMPLATES,
  EMAIL_PLACEHOLDERS,
  EMAIL_SAMPLES,
  EMAIL_TEMPLATE_NAMES,
  renderTemplate,
  templateProblems,
  unknownPlaceholders,
} from "./emailTemplates.js";

describe("email templates", () => {
  it("ships defaults that use only their own placeholders, and samples for every placeholder", () => {
    for (const name of EMAIL_TEMPLATE_NAMES) {
      expect(templateProblems(name, DEFAULT_EMAIL_TEMPLATES[name])).toEqual([]);
      expect(Object.keys(EMAIL_SAMPLES[name]).sort()).toEqual(Object.keys(EMAIL_PLACEHOLDERS[name]).sort());
      expect(renderTemplate(DEFAULT_EMAIL_TEMPLATES[name].body, EMAIL_SAMPLES[name])).not.toMatch(/\{\{/);
    }
  });

  it("names unknown placeholders once each, spaces inside the braces allowed", () => {
    expect(unknownPlaceholders("license", "{{ hosts }} {{host}} {{host}} {{constructor}}")).toEqual(["host", "constructor"]);
    const p = templateProblems("license", { subject: "{{nope}}", body: "ok" });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ field: "subject" });
    expect(p[0]?.message).toContain("{{nope}}");
  });

  it("renders values as they are, once (a value holding braces is not rendered again)", () => {
    expect(renderTemplate("{{a}}-{{ b }}-{{c}}", { a: "{{b}}", b: "2" })).toBe("{{b}}-2-{{c}}");
  });
});
