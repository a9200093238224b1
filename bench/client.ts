/// <reference types="node" />
/** BENCH ONLY: the requests the bench scripts (run.ts, profile.ts) make to the bench Worker. */
import { BENCH_TOKEN, type BenchServer } from "./dev-server";

export const auth = { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" };

export async function call(server: BenchServer, path: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : null;
}
export const bench = (s: BenchServer, path: string, body?: string) => call(s, `/bench/${path}`, body === undefined ? {} : { method: "POST", body });

export async function launch(s: BenchServer, id: string): Promise<void> {
  await call(s, "/v1/agents/deploybot/threads", { method: "POST", headers: auth, body: JSON.stringify({ message: "deploy the backend", threadId: id }) });
  await bench(s, `idle/${id}`);
}

/** Grows a thread to at least `events` events, 900 at a time (3 per cycle). */
export async function growTo(s: BenchServer, id: string, events: number): Promise<number> {
  let seq = (await bench(s, `idle/${id}`)) as number;
  while (seq < events) seq = (await bench(s, `grow/${id}?n=${Math.min(300, Math.ceil((events - seq) / 3))}`)) as number;
  return seq;
}

/** Grows an email thread to at least `events` events, 4 per cycle (a mail in, a mail out). */
export async function growMail(s: BenchServer, id: string, events: number): Promise<number> {
  let seq = (await bench(s, `idle/${id}`)) as number;
  while (seq < events) seq = (await bench(s, `grow/${id}/mail?n=${Math.min(250, Math.ceil((events - seq) / 4))}`)) as number;
  return seq;
}
