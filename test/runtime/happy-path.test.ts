import { describe, expect, it } from "vitest";
import { api, eventsOf, launch, settle, types } from "../support/api";
import { model } from "../support/harness";

describe("deploybot over the real openai client and a scripted model", () => {
  it("runs a staging deploy to done, logging every step", async () => {
    const marker = model.script("happy", [
      { tool: "list_git_tags" },
      { tool: "deploy_backend", args: { tag: "v1.2.3", environment: "staging" } },
      { tool: "done_for_now", args: { message: "Deployed v1.2.3 to staging." } },
    ]);
    const { response, thread } = await launch("deploybot", `deploy the latest backend to staging ${marker}`);
    expect(response.status).toBe(201);
    expect(thread.status).toBe("running");

    const done = await settle(thread.id);
    expect(done.status).toBe("done");
    expect(done.result).toEqual({ message: "Deployed v1.2.3 to staging." });

    const events = await eventsOf(thread.id);
    expect(types(events)).toEqual([
      "thread_launched",
      "model_decided",
      "tool_started",
      "tool_succeeded",
      "model_decided",
      "tool_started",
      "tool_succeeded",
      "model_decided",
      "thread_finished",
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const decided = events.filter((e) => e.type === "model_decided");
    for (const e of decided) {
      expect(e.data.model).toBe("scripted-model");
      expect(e.data.promptVersion).toMatch(/^sha256:[0-9a-f]{12}$/);
      expect(e.data.usage?.completionTokens).toBe(12);
      expect(e.data.latencyMs).toBeGreaterThanOrEqual(0);
    }
    const deploy = events.find((e) => e.type === "tool_succeeded" && e.data.tool === "deploy_backend");
    expect(deploy?.type === "tool_succeeded" && deploy.data.result).toMatchObject({ demo: true, tag: "v1.2.3", environment: "staging" });

    // The model saw the tools as JSON Schema with tool_choice "required", and the tag list in its context.
    const requests = model.requests("happy");
    expect(requests).toHaveLength(3);
    expect(requests[0]?.tool_choice).toBe("required");
    expect(requests[0]?.tools?.map((t) => t.function.name)).toEqual([
      "list_git_tags",
      "deploy_backend",
      "deploy_frontend",
      "request_more_information",
      "done_for_now",
    ]);
    expect(requests[1]?.messages[1]?.content).toContain("<list_git_tags_result");
    expect(requests[1]?.messages[1]?.content).toContain("v1.2.3");

    const view = await (await api(`/v1/threads/${thread.id}`)).json();
    expect(view).toMatchObject({ id: thread.id, agent: "deploybot", status: "done", lastSeq: 9 });
  });
});
