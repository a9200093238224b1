import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agents, defineAgent, defineTool, doneForNow } from "../../src/agents";
import { demoTarget, httpTarget, targetFrom } from "../../src/agents/deploybot/target";

const finish = doneForNow;

describe("agent definitions are checked at setup, not at the first request", () => {
  it("every shipped agent loads, with tools as JSON Schema", () => {
    expect([...agents.keys()]).toEqual(["deploybot", "digest", "releasebot", "mcpbot"]);
    const digest = agents.get("digest");
    expect(digest?.toolSpecs.map((t) => t.name)).toEqual(["list_waiting_threads", "send_digest_email", "done_for_now"]);
    // Honest idempotency: listing may be re-run after a crash, mailing may not.
    expect(digest?.catalog("list_waiting_threads")?.idempotent).toBe(true);
    expect(digest?.catalog("send_digest_email")?.idempotent).toBe(false);
    const deploybot = agents.get("deploybot");
    expect(deploybot?.toolSpecs.map((t) => t.name)).toEqual([
      "list_git_tags",
      "deploy_backend",
      "deploy_frontend",
      "request_more_information",
      "done_for_now",
    ]);
    const deploy = deploybot?.toolSpecs.find((t) => t.name === "deploy_backend");
    expect(deploy?.parameters).toMatchObject({
      type: "object",
      properties: { tag: { type: "string" }, environment: { enum: ["staging", "production"] } },
      required: ["tag", "environment"],
    });
  });

  it("deploybot's policy: production needs approval, staging does not, bad args fail closed", () => {
    const catalog = agents.get("deploybot")!.catalog;
    expect(catalog("deploy_backend")?.needsApproval({ tag: "v1", environment: "production" })).toBe(true);
    expect(catalog("deploy_frontend")?.needsApproval({ tag: "v1", environment: "production" })).toBe(true);
    expect(catalog("deploy_backend")?.needsApproval({ tag: "v1", environment: "staging" })).toBe(false);
    expect(catalog("deploy_backend")?.needsApproval({ tag: 1 })).toBe(true);
    expect(catalog("list_git_tags")?.needsApproval({})).toBe(false);
    expect(catalog("list_git_tags")?.idempotent).toBe(true);
    expect(catalog("deploy_backend")?.idempotent).toBe(false);
  });

  it.each([
    ["a bad agent name", { name: "Bad Name" }, /lowercase/],
    ["duplicate tools", { tools: [finish, finish] }, /defined twice/],
    ["no finishing tool", { tools: [] }, /intent "finish"/],
    ["an unknown prompt placeholder", { prompt: { file: "x.md", template: "Hi {{nope}}" } }, /unknown placeholders nope/],
  ])("rejects %s", (_name, override, error) => {
    expect(() =>
      defineAgent({ name: "ok", description: "d", prompt: { file: "x.md", template: "{{agent}}" }, tools: [finish], ...override }),
    ).toThrow(error);
  });

  it("defineTool defaults: not idempotent, no approval, 30 s timeout", () => {
    const tool = defineTool({ name: "t", description: "d", input: z.object({}), run: async () => null });
    expect(tool).toMatchObject({ intent: "act", idempotent: false, approval: "never", timeoutMs: 30_000 });
    expect(tool.requiresApproval({})).toBe(false);
  });
});

describe("deploybot's deploy target", () => {
  it("is the labelled DEMO target unless DEPLOY_TARGET_URL is set", async () => {
    const env = { DEPLOY_TARGET_URL: "", DEPLOY_TARGET_TOKEN: "" } as Env;
    expect(targetFrom(env, fetch)).toBe(demoTarget);
    expect(demoTarget.label).toContain("demo");
    expect(await demoTarget.deploy({ service: "backend", tag: "v1", environment: "staging" }, new AbortController().signal)).toMatchObject({
      demo: true,
      note: expect.stringContaining("DEMO"),
    });
  });

  it("the HTTP target calls the configured service with the bearer token", async () => {
    const seen: Request[] = [];
    const fake: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      seen.push(request);
      if (request.url.endsWith("/tags")) return Response.json(["v2.0.0"]);
      return Response.json({ id: "dep_1", status: "queued", ...((await request.json()) as object) });
    };
    const target = targetFrom({ DEPLOY_TARGET_URL: "https://deploy.example/api/", DEPLOY_TARGET_TOKEN: "s3cret" } as Env, fake);
    const signal = new AbortController().signal;
    expect(await target.listTags(signal)).toEqual(["v2.0.0"]);
    expect(await target.deploy({ service: "frontend", tag: "v2.0.0", environment: "production" }, signal)).toEqual({
      id: "dep_1",
      status: "queued",
      service: "frontend",
      tag: "v2.0.0",
      environment: "production",
    });
    expect(seen.map((r) => `${r.method} ${r.url}`)).toEqual(["GET https://deploy.example/api/tags", "POST https://deploy.example/api/deployments"]);
    expect(seen[1]?.headers.get("authorization")).toBe("Bearer s3cret");
  });

  it("a failing deploy service becomes an error with its status", async () => {
    const target = httpTarget("https://deploy.example", undefined, async () => new Response("tests are red", { status: 422 }));
    await expect(target.deploy({ service: "backend", tag: "v1", environment: "staging" }, new AbortController().signal)).rejects.toThrow(
      "deploy target answered 422: tests are red",
    );
  });
});
