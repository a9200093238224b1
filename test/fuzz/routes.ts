/**
 * TEST ONLY: the fuzzer's route table. One row per route: the fuzzer mutates a VALID
 * request for the row into an invalid one, so every row needs a valid example body.
 * To fuzz a new route, add a row here; nothing else changes.
 *
 * Path placeholders: {agent} (a deployed agent, or an unknown one), {id} (a seeded thread,
 * or an unknown/malformed id), {token} (a garbage human-link token).
 */
import type { Json } from "../../src/core";

/** What a fuzz case may read to build a valid example body. */
export type Seeds = {
  /** An open human request on a seeded waiting thread: a fault must still stop an answer to it. */
  readonly requestId: string;
  /** A thread id that does not exist (launches must not create it). */
  readonly freshId: string;
};

export type RouteSpec = {
  readonly method: "GET" | "POST";
  readonly path: string;
  /** `bearer`: /v1 management API (JSON errors). `link`: the signed-link page (HTML errors). */
  readonly auth: "bearer" | "link";
  /** A valid example body (POST routes), mutated by the fuzzer. */
  readonly body?: (seeds: Seeds) => Record<string, Json>;
  /** Takes an Idempotency-Key header. */
  readonly idempotencyKey?: boolean;
  /** Query parameters the route accepts (enables bad-query faults). */
  readonly query?: readonly string[];
  /** Body media type when valid: JSON unless stated (the link page posts a form). */
  readonly form?: boolean;
};

export const ROUTES: readonly RouteSpec[] = [
  { method: "GET", path: "/v1/agents", auth: "bearer" },
  {
    method: "POST",
    path: "/v1/agents/{agent}/threads",
    auth: "bearer",
    idempotencyKey: true,
    body: (s) => ({ message: "deploy please", threadId: s.freshId, metadata: { team: "core" }, humanTimeoutSeconds: 60 }),
  },
  { method: "GET", path: "/v1/threads", auth: "bearer", query: ["agent", "status", "cursor", "limit"] },
  { method: "GET", path: "/v1/threads/{id}", auth: "bearer" },
  { method: "GET", path: "/v1/threads/{id}/events", auth: "bearer", query: ["after", "limit"] },
  { method: "GET", path: "/v1/threads/{id}/context", auth: "bearer" },
  { method: "POST", path: "/v1/threads/{id}/messages", auth: "bearer", idempotencyKey: true, body: () => ({ text: "hello there" }) },
  {
    method: "POST",
    path: "/v1/threads/{id}/responses",
    auth: "bearer",
    idempotencyKey: true,
    body: (s) => ({ requestId: s.requestId, approved: true, comment: "fine", answer: "yes" }),
  },
  { method: "POST", path: "/v1/threads/{id}/pause", auth: "bearer", body: () => ({ reason: "fuzz" }) },
  { method: "POST", path: "/v1/threads/{id}/resume", auth: "bearer", body: () => ({ reason: "fuzz" }) },
  { method: "POST", path: "/v1/threads/{id}/cancel", auth: "bearer", body: () => ({ reason: "fuzz" }) },
  { method: "GET", path: "/h/{token}", auth: "link" },
  { method: "POST", path: "/h/{token}", auth: "link", form: true, body: () => ({ decision: "approve", comment: "ok" }) },
];
