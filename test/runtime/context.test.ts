import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ModelInput } from "../../src/core";
import { api, eventsOf, launch, settle } from "../support/api";
import { model } from "../support/harness";

describe("GET /v1/threads/{id}/context", () => {
  it("returns exactly the model input the next step would send", async () => {
    const id = "ctx-1";
    const marker = model.script(id, [
      { tool: "echo", args: { text: "hello" } },
      { tool: "request_more_information", args: { message: "Which one?" } },
    ]);
    await launch("probe", `start ${marker}`, { threadId: id, metadata: { team: "infra" } });
    await settle(id);
    const response = await api(`/v1/threads/${id}/context`);
    expect(response.status).toBe(200);
    const input = (await response.json()) as ModelInput;
    expect(input.messages).toHaveLength(2);
    expect(input.messages[0]).toEqual({ role: "system", content: `You are probe, a test probe. Thread ${id}.` });
    expect(input.messages[1]?.content).toContain(`<user_message metadata="{&quot;team&quot;:&quot;infra&quot;}">\nstart ${marker}\n</user_message>`);
    expect(input.messages[1]?.content).toContain('<echo call="');
    expect(input.messages[1]?.content).toContain("<echo_result");
    expect(input.messages[1]?.content).toContain('<human_request id="');
    expect(input.tools.map((t) => t.name)).toContain("echo");
    expect(input.promptVersion).toMatch(/^sha256:/);
    expect(input.seenSeq).toBe((await eventsOf(id)).length);
    // The same messages the model received for its last call, plus what happened since.
    const lastSent = model.requests(id).at(-1);
    expect(input.messages[0]?.content).toBe(lastSent?.messages[0]?.content);
    expect(input.messages[1]?.content.startsWith(lastSent?.messages[1]?.content.split("\n\nChoose the next step")[0] ?? "x")).toBe(true);
  });
});

describe("configuration", () => {
  it("with no model configured the thread fails with an error that names the missing setting", async () => {
    const stub = env.THREADS.getByName("no-model");
    await runInDurableObject(stub, async (instance) => {
      // Replace this instance's env with one that has no model settings.
      Object.defineProperty(instance, "env", { value: { ...env, MODEL: "", OPENAI_API_KEY: "", OPENAI_BASE_URL: "" } });
      const launched = await instance.launch({ threadId: "no-model" as never, agent: "probe", message: "hi" });
      expect(launched.ok).toBe(true);
      const view = await instance.idle();
      expect(view?.status).toBe("failed");
      expect(view?.error?.code).toBe("model_not_configured");
      expect(view?.error?.message).toContain("MODEL");
      expect(view?.error?.message).toContain("OPENAI_API_KEY");
    });
  });
});
