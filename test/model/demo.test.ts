import { describe, expect, it } from "vitest";
import { decide } from "../../src/model/decide";
import { modelConfigFrom } from "../../src/model/config";
import { decideDemo, DEMO_BASE_URL } from "../../src/model/demo";
import { deploybot } from "../../src/agents/deploybot";
import { CallId } from "../../src/core";

// DEMO ONLY model (src/model/demo.ts): the README tour depends on these answers.
const deployTools = new Set(["list_git_tags", "deploy_backend", "deploy_frontend", "request_more_information", "done_for_now"]);
const user = (text: string) => `<user_message>\n${text}\n</user_message>`;

describe("the DEMO model", () => {
  it("lists tags when no tag is named, then deploys the newest to the asked environment", () => {
    expect(decideDemo(user("deploy the latest backend to staging"), deployTools)).toEqual({ name: "list_git_tags", args: {} });
    const withTags = `${user("deploy the latest backend to staging")}\n\n<list_git_tags_result call="c1">\ntags: [{"name":"v1.2.3"},{"name":"v1.2.2"}]\n</list_git_tags_result>`;
    expect(decideDemo(withTags, deployTools)).toEqual({ name: "deploy_backend", args: { tag: "v1.2.3", environment: "staging" } });
  });

  it("deploys a named tag of the named service to production, and reports what happened", () => {
    const asked = user("deploy v1.2.2 of the frontend to production");
    expect(decideDemo(asked, deployTools)).toEqual({ name: "deploy_frontend", args: { tag: "v1.2.2", environment: "production" } });
    const result = `${asked}\n\n<deploy_frontend_result call="c1">\nstatus: deployed\nenvironment: production\n</deploy_frontend_result>`;
    expect(decideDemo(result, deployTools)).toMatchObject({ name: "done_for_now", args: { message: expect.stringContaining("production") } });
  });

  it("finishes without deploying after a rejection or a timeout", () => {
    const asked = user("deploy v1.2.3 to production");
    const rejected = `${asked}\n\n<human_response request="r1">\napproved: false\n</human_response>`;
    expect(decideDemo(rejected, deployTools)).toMatchObject({ name: "done_for_now", args: { message: expect.stringMatching(/rejected/) } });
    const timedOut = `${asked}\n\n<human_timeout request="r1">\nNobody answered.\n</human_timeout>`;
    expect(decideDemo(timedOut, deployTools)).toMatchObject({ name: "done_for_now", args: { message: expect.stringMatching(/deadline/) } });
  });

  it("answers a summary request (no tools) with text, so compaction works in the demo too", async () => {
    const config = modelConfigFrom({ MODEL: "demo", OPENAI_API_KEY: "", OPENAI_BASE_URL: "", MODEL_TIMEOUT_MS: "" });
    if (!config.ok) throw new Error("demo config");
    const { summarise } = await import("../../src/model/summarise");
    const summary = await summarise({ config: config.config, prompt: "Summarise.", text: user("old events") });
    expect(summary).toMatchObject({ ok: true, summary: expect.stringMatching(/^DEMO summary/) });
  });

  it("answers any other agent with its finishing tool", () => {
    expect(decideDemo(user("hello"), new Set(["done_for_now"]))).toMatchObject({ name: "done_for_now" });
  });

  it("is reached through the real openai client when MODEL=demo, with no key and no network", async () => {
    const config = modelConfigFrom({ MODEL: "demo", OPENAI_API_KEY: "", OPENAI_BASE_URL: "", MODEL_TIMEOUT_MS: "" });
    expect(config).toMatchObject({ ok: true, config: { model: "demo", baseURL: DEMO_BASE_URL } });
    if (!config.ok) return;
    const refused: typeof fetch = async () => {
      throw new Error("the demo model must not use the network");
    };
    const outcome = await decide({
      input: { messages: [{ role: "system", content: "x" }, { role: "user", content: user("deploy v1.2.3 to production") }], tools: deploybot.toolSpecs, seenSeq: 1, promptVersion: "v", stats: { shown: 1, omitted: 0, pinnedTokens: 10, overBudget: false }, budget: { tokens: 100, limit: 32_000, tokenizer: "o200k_base" }, sections: [] },
      agent: deploybot,
      config: config.config,
      callId: CallId.parse("call_1"),
      fetch: refused,
    });
    expect(outcome).toMatchObject({ type: "model_decided", data: { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "production" }, model: "demo" } });
  });
});
