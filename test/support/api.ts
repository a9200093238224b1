/** TEST ONLY: HTTP helpers against the Worker under test, through its real fetch handler. */
import { exports } from "cloudflare:workers";
import { env } from "cloudflare:workers";
import type { Event, ThreadId, ThreadView } from "../../src/core";
import { threadStub } from "../../src/runtime/thread-stub";

export const TOKEN = "test-token";

export async function api(path: string, init: RequestInit & { json?: unknown; token?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token !== null) headers.set("authorization", `Bearer ${init.token ?? TOKEN}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`https://agents.test${path}`, { ...init, headers, body: body ?? null }));
}

export async function launch(agent: string, message: string, extra: Record<string, unknown> = {}, headers?: HeadersInit) {
  const response = await api(`/v1/agents/${agent}/threads`, { method: "POST", json: { message, ...extra }, ...(headers ? { headers } : {}) });
  const body = (await response.json()) as ThreadView;
  return { response, thread: body };
}

export const thread = (id: string) => threadStub(env, id as ThreadId);

/** Waits (deterministically, no sleeps) until the thread's step loop has nothing left to do. */
export async function settle(id: string): Promise<ThreadView> {
  const view = await thread(id).idle();
  if (!view) throw new Error(`thread ${id} does not exist`);
  return view;
}

export async function eventsOf(id: string): Promise<Event[]> {
  const all: Event[] = [];
  let after = 0;
  for (;;) {
    const page = await thread(id).events(after, 1000);
    all.push(...page.events);
    if (page.next === undefined) return all;
    after = page.next;
  }
}

export const types = (events: readonly Event[]) => events.map((e) => e.type);
