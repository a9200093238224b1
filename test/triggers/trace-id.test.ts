import { describe, expect, it } from "vitest";
import { traceIdOf } from "../../src/traces/ids";
import { traceLink } from "../../src/traces/link";
import { api, launch, settle } from "../support/api";
import { get, signIn } from "../support/console";
import { model } from "../support/harness";

// Issue 29: the thread's trace id on GET /v1/threads/{id} and on its console page, linked
// through OTEL_TRACE_URL (the suite sets it to https://traces.example/explore?trace={traceId}).

describe("trace id in the API and the console", () => {
  it("GET /v1/threads/{id} carries the derived trace id; the thread page shows it and links to OTEL_TRACE_URL", async () => {
    const id = `trace-id-${crypto.randomUUID().slice(0, 8)}`;
    await launch("scout", `go ${model.script(id, [{ tool: "done_for_now", args: { message: "ok" } }])}`, { threadId: id });
    await settle(id);
    const response = await api(`/v1/threads/${id}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { traceId?: string };
    expect(body.traceId).toBe(traceIdOf(id));
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);

    const cookie = await signIn();
    for (const path of [`/console/threads/${id}`, `/console/threads/${id}/header`]) {
      const html = await (await get(path, { cookie })).text();
      expect(html).toContain(`href="https://traces.example/explore?trace=${traceIdOf(id)}"`);
    }
  });

  it("a template without {traceId}, or not http(s), links nowhere; the id is shown anyway", () => {
    expect(traceLink({}, "t1")).toEqual({ id: traceIdOf("t1") });
    expect(traceLink({ OTEL_TRACE_URL: "https://x.example/trace" }, "t1")).toEqual({ id: traceIdOf("t1") });
    expect(traceLink({ OTEL_TRACE_URL: "javascript:alert({traceId})" }, "t1")).toEqual({ id: traceIdOf("t1") });
    expect(traceLink({ OTEL_TRACE_URL: "https://x.example/t/{traceId}?q={traceId}" }, "t1").url).toBe(`https://x.example/t/${traceIdOf("t1")}?q=${traceIdOf("t1")}`);
  });
});
