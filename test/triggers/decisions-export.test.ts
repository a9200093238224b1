/**
 * GET /v1/decisions, the audit export (invariant 13): every approve, reject and edit, with
 * original and final arguments and the principal, newest first, from the thread index;
 * a cursor walks it; Accept: application/x-ndjson streams the same rows.
 */
import { describe, expect, it } from "vitest";
import { api, settle } from "../support/api";
import { model } from "../support/harness";

const run = crypto.randomUUID().replaceAll("-", "").slice(0, 8);

type Row = {
  threadId: string;
  seq: number;
  agent: string;
  requestId: string;
  tool: string;
  originalArgs: Record<string, unknown>;
  finalArgs: Record<string, unknown>;
  decision: string;
  principal: { kind: string; id: string; verifiedBy: string };
  channel: string;
  at: string;
  comment?: string;
};

async function decided(name: string, answers: [string, Record<string, unknown>][]) {
  const id = `dex-${run}-${name}`;
  const marker = model.script(id, [{ tool: "board_change", args: { label: `${id}-a`, env: "production" } }, { tool: "done_for_now", args: { message: "ok" } }]);
  expect((await api("/v1/agents/probe/threads", { method: "POST", json: { message: `go ${marker}`, threadId: id } })).status).toBe(201);
  const requestId = (await settle(id)).pending?.requestId;
  for (const [token, body] of answers) expect((await api(`/v1/threads/${id}/responses`, { method: "POST", token, json: { requestId, ...body } })).status).toBe(200);
  await settle(id);
  return { id, requestId };
}

async function page(query: string): Promise<{ decisions: Row[]; next?: string }> {
  const response = await api(`/v1/decisions?${query}`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as { decisions: Row[]; next?: string };
}

async function walk(query: string, limit: number): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`);
    rows.push(...p.decisions);
    cursor = p.next;
  } while (cursor);
  return rows;
}

describe("GET /v1/decisions", () => {
  it("lists every decision with original and final arguments and who decided, newest first; a cursor walks them; NDJSON streams the same rows", async () => {
    const first = await decided("one", [
      ["rm-token-1234", { decision: "approve", comment: "looks fine" }],
      ["intern-token-1234", { decision: "edit", args: { label: `dex-${run}-one-b` } }],
      ["rm-token-1234", { approved: true }],
    ]);
    const second = await decided("two", [["intern-token-1234", { decision: "reject", comment: "no" }]]);
    const ours = (rows: Row[]) => rows.filter((r) => r.threadId === first.id || r.threadId === second.id);

    const rows = ours(await walk("agent=probe", 500));
    expect(rows.map((r) => [r.threadId, r.decision, r.principal.id])).toEqual([
      [second.id, "reject", "intern"],
      [first.id, "approve", "release-manager"],
      [first.id, "edit", "intern"],
      [first.id, "approve", "release-manager"],
    ]);
    const original = { label: `${first.id}-a`, env: "production" };
    const edited = { label: `${first.id}-b`, env: "production" };
    expect(rows[3]).toMatchObject({ agent: "probe", requestId: first.requestId, tool: "board_change", originalArgs: original, finalArgs: original, channel: "api", comment: "looks fine", principal: { kind: "api", verifiedBy: "api_token" } });
    expect(rows[2]).toMatchObject({ originalArgs: original, finalArgs: edited });
    expect(rows[1]).toMatchObject({ originalArgs: original, finalArgs: edited });
    for (let i = 1; i < rows.length; i++) expect((rows[i - 1] as Row).at >= (rows[i] as Row).at).toBe(true);

    // One row per page: the same rows, in the same order.
    expect(ours(await walk("agent=probe", 1))).toEqual(rows);

    // A window on time: until the first decision of ours excludes all of them; since it includes them.
    const oldest = rows[3] as Row;
    expect(ours(await walk(`agent=probe&until=${encodeURIComponent(oldest.at)}`, 500))).toEqual([]);
    expect(ours(await walk(`since=${encodeURIComponent(oldest.at)}`, 500))).toEqual(rows);
    expect(ours(await walk("agent=deploybot", 500))).toEqual([]);

    const streamed = await api("/v1/decisions?agent=probe", { headers: { accept: "application/x-ndjson" } });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const lines = (await streamed.text()).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);
    expect(ours(lines)).toEqual(rows);
  });

  it("bad queries are 400 with their code", async () => {
    for (const [query, code] of [
      ["cursor=nonsense", "invalid_cursor"],
      ["since=yesterday", "invalid_query"],
      ["limit=0", "invalid_query"],
      ["limit=501", "invalid_query"],
      ["since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "invalid_query"],
      ["colour=red", "invalid_query"],
    ] as const) {
      const response = await api(`/v1/decisions?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code, query).toBe(code);
    }
    expect((await api("/v1/decisions", { token: null })).status).toBe(401);
  });
});
