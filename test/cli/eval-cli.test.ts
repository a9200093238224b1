import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseEvalArgs } from "../../src/cli/eval-args";
import { runEvalCli } from "../../src/cli/eval-run";
import { directoryStub, evalStub } from "../../src/evals/stubs";
import { launch, settle } from "../support/api";
import { model } from "../support/harness";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);

/** The CLI, talking to the Worker under test through its real fetch handler. */
async function cli(argv: string[], vars: Record<string, string> = { API_TOKEN: "test-token", EDGE_AGENTS_URL: "https://agents.test/" }) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runEvalCli(argv, vars, {
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    // Between polls, wait (without the wall clock) until the agent's evals have their answers.
    sleep: async () => {
      for (const id of await directoryStub(env, "deploybot").list(50)) await evalStub(env, id).settled();
    },
    now: () => 0,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("npm run eval (the CLI as a function)", () => {
  it("parses flags into the request body and refuses bad ones", () => {
    expect(parseEvalArgs(["--agent", "deploybot", "--variant=terse", "--since", "7d", "--min-agreement", "0.9"])).toEqual({
      ok: true,
      args: { agent: "deploybot", body: { filter: { since: "7d" }, variant: "terse" }, minAgreement: 0.9, timeoutSeconds: 600, pollMs: 1000 },
    });
    expect(parseEvalArgs(["--agent", "a", "--threads", "t1,t2", "--steps", "first"])).toMatchObject({ ok: true, args: { body: { threads: ["t1", "t2"], steps: "first" } } });
    expect(parseEvalArgs([])).toEqual({ ok: false, message: "--agent is required" });
    expect(parseEvalArgs(["--agent", "a", "--min-agreement", "2"])).toMatchObject({ ok: false });
    expect(parseEvalArgs(["--agent", "a", "--threads", "t", "--since", "7d"])).toMatchObject({ ok: false });
    expect(parseEvalArgs(["--bogus", "1"])).toMatchObject({ ok: false });
  });

  it("prints the summary and the differing cases, and gates on --min-agreement", async () => {
    const script = `cli-${run}`;
    const marker = model.script(script, (request) => {
      const terse = (request.messages[0]?.content ?? "").includes("One tool call per step");
      const thread = request.messages[1]?.content ?? "";
      if (thread.includes("<request_more_information")) return { tool: "done_for_now", args: { message: "ok" } };
      return terse ? { tool: "done_for_now", args: { message: "nothing to do" } } : { tool: "request_more_information", args: { message: "which service?" } };
    });
    const id = `cli-${run}-1`;
    expect((await launch("deploybot", `deploy something ${marker}`, { threadId: id, variant: "default" })).response.status).toBe(201);
    await settle(id);

    const same = await cli(["--agent", "deploybot", "--threads", id, "--variant", "default", "--min-agreement", "1"]);
    expect(same.code).toBe(0);
    expect(same.out).toMatch(/agreement\s+100\.0%/);
    expect(same.out).toContain("no differing cases");
    expect(same.err).toMatch(/progress \d+\/1/);

    const gated = await cli(["--agent", "deploybot", "--threads", id, "--variant", "terse", "--min-agreement", "0.9"]);
    expect(gated.code).toBe(1);
    expect(gated.out).toMatch(/agreement\s+0\.0%/);
    expect(gated.out).toContain(`${id} @2`);
    expect(gated.out).toContain('baseline:  request_more_information {"message":"which service?"}');
    expect(gated.out).toContain('candidate: done_for_now {"message":"nothing to do"}');
    expect(gated.out).toContain("FAIL: agreement 0.0% is below --min-agreement 90.0%");

    const refused = await cli(["--agent", "deploybot", "--threads", id, "--variant", "shouty"]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("refused (400 unknown_variant)");
    expect((await cli(["--agent", "deploybot"], {})).code).toBe(2);
  });
});
