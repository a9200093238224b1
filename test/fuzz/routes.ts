/**
 * TEST ONLY: the fuzzer's route table. One row per route: the fuzzer mutates a VALID
 * request for the row into an invalid one, so every row needs a valid example body.
 * To fuzz a new route, add a row here; nothing else changes.
 *
 * Path placeholders: {agent} (a deployed agent, or an unknown one), {id} (a seeded thread,
 * or an unknown/malformed id), {eval} (the seeded eval, or an unknown/malformed eval id),
 * {token} (a garbage human-link token), {source} (the row's webhook source, or an unknown one).
 *
 * Webhook rows (`auth: "signature"`) are signed with the test secrets of vitest.config.ts
 * just before sending (sign.ts), so a fault can break the signature (-> 401) or keep it
 * valid and break what it signs (-> 400/404/409/413). Their valid example WOULD launch a
 * thread or message the seeded waiting thread: the fuzzer never sends it, and the test
 * checks that neither happened.
 */
import type { Json } from "../../src/core";

/** What a fuzz case may read to build a valid example body. */
export type Seeds = {
  /** An open human request on a seeded waiting thread: a fault must still stop an answer to it. */
  readonly requestId: string;
  /** A thread id that does not exist (launches must not create it). */
  readonly freshId: string;
  /** A seeded thread that a valid webhook message (`thread:<id>`) would append to. */
  readonly target: string;
  /** A webhook delivery id: a valid delivery would launch `<source>-<id>`, which must never exist. */
  readonly deliveryId: string;
  /** An eval started on a seeded thread ({eval} in paths). */
  readonly evalId: string;
};

/** The secrets vitest.config.ts gives the Worker under test. */
export const WEBHOOK_SECRETS = { github: "github-test-secret", slack: "slack-test-secret" } as const;
export type WebhookScheme = keyof typeof WEBHOOK_SECRETS;

/** A value of the right JSON type that a route must refuse, and exactly how. */
export type BadValue = readonly [value: Json, status: number, code: string];
const each = (values: readonly Json[], status: number, code: string): BadValue[] => values.map((v) => [v, status, code] as const);

export type RouteSpec = {
  readonly method: "GET" | "POST" | "DELETE";
  readonly path: string;
  /**
   * `bearer`: /v1 management API (JSON errors). `link`: the signed-link page (HTML errors).
   * `signature`: a webhook, authorised only by its HMAC over the raw body (JSON errors).
   */
  readonly auth: "bearer" | "link" | "signature";
  /** A valid example body (POST routes), mutated by the fuzzer. */
  readonly body?: (seeds: Seeds) => Record<string, Json>;
  /** Takes an Idempotency-Key header. */
  readonly idempotencyKey?: boolean;
  /** Query parameters the route accepts (enables bad-query faults). */
  readonly query?: readonly string[];
  /** Body media type when valid: JSON unless stated (the link page posts a form). */
  readonly form?: boolean;
  /** `signature` rows: the webhook source, whose scheme and test secret sign the request. */
  readonly signed?: WebhookScheme;
  /** Headers of the valid request besides auth and content type (a webhook's event and delivery id). */
  readonly headers?: (seeds: Seeds) => Record<string, string>;
  /** Body fields whose absence must fail (missing_required picks one; `[]`: none is required); default: the row's one required field by path. */
  readonly required?: readonly string[];
  /** Values of the right JSON type that must still fail, per field, each with the status and error code it must get (bad_value picks one). */
  readonly badValues?: (seeds: Seeds) => Readonly<Record<string, readonly BadValue[]>>;
  /** The body names `seeds.target` as `thread:<id>` (unknown_thread_ref swaps in a thread that cannot take it). */
  readonly threadRef?: boolean;
};

const repository = { full_name: "acme/app" };
const workflowRun = {
  id: 42, name: "CI", conclusion: "failure", head_branch: "main", head_sha: "0123456789abcdef0123", html_url: "https://github.com/acme/app/actions/runs/42",
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
  // ---- since issue 6: fork, variant stats, signed webhooks ----
  {
    method: "POST",
    path: "/v1/threads/{id}/fork",
    auth: "bearer",
    idempotencyKey: true,
    required: ["atSeq"],
    // Valid for every seeded thread (all are probe threads with >= 1 event): only the fault may stop it.
    body: (s) => ({ atSeq: 1, threadId: s.freshId, variant: "default", model: "fuzz-model" }),
    badValues: (s) => ({
      atSeq: [...each([0, -1, 1.5, -0.5, 2 ** 53], 400, "invalid_request"), [1_000_000, 400, "at_seq_out_of_range"]],
      threadId: [
        ...each(["", "has space", "-dash", "a".repeat(65)], 400, "invalid_request"),
        ...each(["fz-running", "fz-waiting", "fz-paused", "fz-done", s.target], 409, "thread_exists"),
      ],
      variant: [...each(["", "v".repeat(41)], 400, "invalid_request"), ...each(["nope", "DEFAULT", "terse"], 400, "unknown_variant")],
      model: each(["", "a b", "m".repeat(201), "mod\u00e8le", "tab\tmodel"], 400, "invalid_request"),
    }),
  },
  { method: "GET", path: "/v1/agents/{agent}/variants", auth: "bearer" },
  // ---- since issues 13 and 14: the stream, usage, erasure, evals ----
  { method: "GET", path: "/v1/threads/{id}/stream", auth: "bearer", query: ["after"] },
  { method: "GET", path: "/v1/agents/{agent}/usage", auth: "bearer", query: ["from", "to"] },
  {
    method: "POST",
    path: "/v1/agents/{agent}/evals",
    auth: "bearer",
    idempotencyKey: true,
    // Every field is optional (no selection = all the agent's threads), so no fault may drop one.
    required: [],
    body: () => ({ threads: ["fz-done"], steps: "first", model: "fuzz-model" }),
    badValues: () => ({
      threads: each([[], [""], ["t".repeat(201)], Array.from({ length: 10_001 }, () => "t")], 400, "invalid_request"),
      steps: each(["some", "", "FIRST"], 400, "invalid_request"),
      model: each(["", "a b", "m".repeat(201)], 400, "invalid_request"),
      variant: each(["", "v".repeat(41)], 400, "invalid_request"),
    }),
  },
  { method: "GET", path: "/v1/agents/{agent}/evals", auth: "bearer" },
  { method: "GET", path: "/v1/evals/{eval}", auth: "bearer", query: ["limit", "only"] },
  // After the GET rows of the same paths: the controls run in table order, and these erase.
  { method: "DELETE", path: "/v1/evals/{eval}", auth: "bearer" },
  { method: "DELETE", path: "/v1/threads/{id}", auth: "bearer" },
  {
    method: "POST",
    path: "/v1/webhooks/{source}",
    auth: "signature",
    signed: "github",
    headers: (s) => ({ "x-github-event": "workflow_run", "x-github-delivery": s.deliveryId }),
    required: ["action", "workflow_run", "repository"],
    body: () => ({ action: "completed", workflow_run: workflowRun, repository }),
  },
  {
    method: "POST",
    path: "/v1/webhooks/{source}",
    auth: "signature",
    signed: "github",
    threadRef: true,
    headers: (s) => ({ "x-github-event": "issue_comment", "x-github-delivery": s.deliveryId }),
    required: ["action", "comment", "issue", "repository"],
    body: (s) => ({
      action: "created",
      // A trusted author (GITHUB_TRUSTED_ASSOCIATIONS): only the injected fault may stop it.
      comment: { body: `thread:${s.target} use v1.2.3`, user: { login: "octocat", type: "User" }, author_association: "MEMBER" },
      issue: { number: 7, html_url: "https://github.com/acme/app/issues/7" },
      repository,
    }),
  },
  {
    method: "POST",
    path: "/v1/webhooks/{source}",
    auth: "signature",
    signed: "slack",
    required: ["type", "event_id", "event"],
    body: (s) => ({ type: "event_callback", team_id: "T1", event_id: s.deliveryId, event: { type: "app_mention", text: "<@U0BOT> deploy latest to staging", user: "U1", channel: "C1" } }),
  },
  {
    method: "POST",
    path: "/v1/webhooks/{source}",
    auth: "signature",
    signed: "slack",
    threadRef: true,
    required: ["type", "event_id", "event"],
    body: (s) => ({ type: "event_callback", team_id: "T1", event_id: s.deliveryId, event: { type: "message", text: `thread:${s.target} v1.2.3 please`, user: "U1", channel: "C1" } }),
  },
];
