import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agents, defineAgent, defineTool, doneForNow, requestMoreInformation } from "../../src/agents";
import { variantForLaunch } from "../../src/agents/variants";

// Prompt variants and pre-fetch lists are checked at setup (docs/architecture.md, "Style"), not at the first launch.

const tags = defineTool({ name: "tags", description: "d", input: z.object({}), idempotent: true, run: async () => [] });
const lookup = defineTool({ name: "lookup", description: "d", input: z.object({ key: z.string() }), run: async () => null });
const guarded = defineTool({ name: "guarded", description: "d", input: z.object({}), requiresApproval: true, run: async () => null });
const base = {
  name: "ok",
  description: "d",
  prompt: { file: "a.md", template: "{{agent}}" },
  tools: [tags, lookup, guarded, requestMoreInformation, doneForNow],
};
const variant = (name: string, weight = 1, template = "{{agent}} v") => ({ name, file: `${name}.md`, template, weight });

describe("defineAgent: prompt variants", () => {
  it("the prompt is the variant 'default' (weight 1 unless given), then the declared ones", () => {
    const agent = defineAgent({ ...base, prompt: { ...base.prompt, weight: 3 }, variants: [variant("terse"), variant("canary", 0)] });
    expect(agent.variants.map((v) => [v.name, v.file, v.weight])).toEqual([
      ["default", "a.md", 3],
      ["terse", "terse.md", 1],
      ["canary", "canary.md", 0],
    ]);
    expect(defineAgent(base).variants.map((v) => [v.name, v.weight])).toEqual([["default", 1]]);
  });

  it.each([
    ["a bad variant name", [variant("Bad Name")], /invalid prompt variant name/],
    ["a duplicate variant", [variant("terse"), variant("terse")], /defined twice/],
    ["a variant named like the default", [variant("default")], /defined twice/],
    ["a negative weight", [variant("terse", -1)], /integer weight/],
    ["a fractional weight", [variant("terse", 0.5)], /integer weight/],
    ["an unknown placeholder in a variant", [variant("terse", 1, "Hi {{nope}}")], /unknown placeholders nope/],
  ])("rejects %s", (_name, variants, error) => {
    expect(() => defineAgent({ ...base, variants })).toThrow(error);
  });

  it("rejects variants that can never be chosen", () => {
    expect(() => defineAgent({ ...base, prompt: { ...base.prompt, weight: 0 }, variants: [variant("terse", 0)] })).toThrow(/positive weight/);
  });

  it("variantForLaunch: pinned, weighted, unknown, and none for a single prompt", () => {
    const agent = defineAgent({ ...base, variants: [variant("terse"), variant("canary", 0)] });
    expect(variantForLaunch(agent, "t-1", "canary")).toEqual({ ok: true, variant: "canary" });
    expect(variantForLaunch(agent, "t-1", "nope")).toMatchObject({ ok: false, code: "unknown_variant" });
    expect(["default", "terse"]).toContain((variantForLaunch(agent, "t-1") as { variant: string }).variant);
    expect(variantForLaunch(defineAgent(base), "t-1")).toEqual({ ok: true });
  });

  it("deploybot ships two prompt files side by side", () => {
    expect(agents.get("deploybot")!.variants.map((v) => [v.name, v.file, v.weight])).toEqual([
      ["default", "prompts/deploybot.md", 3],
      ["terse", "prompts/deploybot.terse.md", 1],
    ]);
  });
});

describe("defineAgent: pre-fetch (Factor 13)", () => {
  it("accepts tools that run code, parse their arguments and need no approval", () => {
    const agent = defineAgent({ ...base, prefetch: [{ tool: "tags" }, { tool: "lookup", args: { key: "k" } }] });
    expect(agent.plan).toEqual({ prefetch: [{ tool: "tags", args: {} }, { tool: "lookup", args: { key: "k" } }] });
    expect(defineAgent(base).plan).toEqual({});
  });

  it.each([
    ["an unknown tool", [{ tool: "nope" }], /unknown tool "nope"/],
    ["arguments that do not parse", [{ tool: "lookup", args: { key: 1 } }], /do not parse/],
    ["missing arguments", [{ tool: "lookup" }], /do not parse/],
    ["a tool that needs approval", [{ tool: "guarded" }], /needs approval/],
    ["a question to a human", [{ tool: "request_more_information", args: { message: "hi" } }], /must run code/],
    ["the finishing tool", [{ tool: "done_for_now", args: { message: "bye" } }], /must run code/],
  ])("rejects %s", (_name, prefetch, error) => {
    expect(() => defineAgent({ ...base, prefetch })).toThrow(error);
  });

  it("deploybot pre-fetches nothing (see README: Pre-fetched context)", () => {
    expect(agents.get("deploybot")!.plan).toEqual({});
  });
});
