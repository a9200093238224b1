import { Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import { MAX_ANSWER_CHARS, requestPage, resultPage, type ResultPageInput } from "../../channels/approval-page";
import { verifyLink, type LinkClaims } from "../../channels/links";
import { patchFromForm, quorumLine } from "../../channels/edit-form";
import type { Rejection, RequestId, ThreadView } from "../../core";
import { threadStub, type ThreadRpc } from "../../runtime/thread-stub";
import { ApiError } from "./errors";
import type { AppEnv } from "./env";
import { limitBody } from "./validate";
import { httpSource } from "./source";

// GET/POST /h/:token: the human approval/answer page. The signed token is the only
// credential (no bearer token: the human has none), so every request verifies it again,
// and every answer goes through the thread object's respond(), the same check as the API.

type LinkEnv = AppEnv & { Variables: { claims: LinkClaims } };
type Page = ResultPageInput & { status: 200 | 400 | 403 | 404 | 405 | 409 | 410 | 413 | 415 | 500 | 503 };

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

const html = (status: number, body: string) => new Response(body, { status, headers: HEADERS });
const fail = (status: Page["status"], title: string, message: string, backHref?: string): Response =>
  html(status, resultPage({ title, message, tone: "error", ...(backHref ? { backHref } : {}) }));

const INVALID = () => fail(403, "This link is not valid", "The link is incomplete or was changed. Open the link exactly as you received it.");
const EXPIRED = () => fail(410, "This link has expired", "The time to answer this request has passed.");
const UNKNOWN_THREAD = () => fail(404, "This request no longer exists", "The thread this link points to was not found.");

const FormFields = z.object({
  decision: z.enum(["approve", "reject", "edit"]).optional(),
  comment: z.string().max(MAX_ANSWER_CHARS).optional(),
  answer: z.string().max(MAX_ANSWER_CHARS).optional(),
});

/** Verifies the token on every /h request; the handlers then read `c.var.claims`. */
const requireLink: MiddlewareHandler<LinkEnv> = async (c, next) => {
  const secret = c.env.HUMAN_LINK_SECRET;
  if (!secret) return fail(503, "Approval links are not set up", "This server has no HUMAN_LINK_SECRET configured, so it cannot check links. Ask its operator.");
  const verified = await verifyLink(secret, c.req.param("token") ?? "", Date.now());
  if (!verified.ok) return verified.reason === "expired" ? EXPIRED() : INVALID();
  c.set("claims", verified.claims);
  await next();
};

export function humanLinkRoutes() {
  const routes = new Hono<LinkEnv>();
  routes.onError((error) => {
    if (error instanceof ApiError) return fail(error.status === 413 ? 413 : 400, "Request not accepted", error.message);
    if (error instanceof HTTPException && error.status < 500) return fail(400, "Request not accepted", error.message);
    console.error("human link failed", error);
    return fail(500, "Something went wrong", "Nothing was recorded. Please try the link again in a moment.");
  });

  routes.get("/:token", requireLink, async (c) => {
    const { threadId, requestId } = c.var.claims;
    const stub = threadStub(c.env, threadId);
    const thread = await stub.thread();
    if (!thread) return UNKNOWN_THREAD();
    const request = thread.pendingRequests.find((r) => r.requestId === requestId);
    if (!request) return notPending(thread, await closingOf(stub, requestId));
    if (Date.parse(request.deadline) <= Date.now()) return fail(409, "This request has expired", "The time to answer it has passed.");
    return html(200, requestPage({ agent: thread.agent, threadId: thread.id, request }));
  });

  routes.post("/:token", limitBody, requireLink, async (c) => {
    const { threadId, requestId } = c.var.claims;
    const media = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (media !== "application/x-www-form-urlencoded" && media !== "multipart/form-data") {
      return fail(415, "Request not accepted", "Send the form as application/x-www-form-urlencoded or multipart/form-data.");
    }
    // A multipart body that does not parse (bad boundary, truncated) makes parseBody throw: a 400, not a 500.
    const form = await c.req.parseBody().catch(() => undefined);
    if (!form) return fail(400, "Request not accepted", "The form could not be read.", c.req.path);
    const fields = FormFields.safeParse(form);
    if (!fields.success) return fail(400, "Request not accepted", "The form fields are not valid.", c.req.path);
    const { decision, comment, answer } = fields.data;
    const stub = threadStub(c.env, threadId);
    const thread = await stub.thread();
    if (!thread) return UNKNOWN_THREAD();
    const request = thread.pendingRequests.find((r) => r.requestId === requestId);
    const tool = request?.tool;
    const result = await stub.respond(
      {
        requestId,
        ...(decision === "edit" ? { decision, args: request ? patchFromForm(request, form) : {} } : decision ? { approved: decision === "approve" } : {}),
        ...(comment?.trim() ? { comment } : {}),
        ...(answer?.trim() ? { answer } : {}),
        // The link was issued to one recipient; whoever holds it answers as that recipient.
        by: { kind: "link", id: c.var.claims.to ?? "unnamed-link", verifiedBy: "signed_link" },
      },
      undefined,
      httpSource(c, { via: "approval-link" }),
    );
    if (!result.ok) return rejected(result.rejection, c.req.path, () => closingOf(stub, requestId));
    const event = result.value.event;
    const approved = event.type === "human_responded" ? event.data.approved : undefined;
    const what = tool ? `${tool.name} ` : "The action ";
    const still = result.value.thread.pendingRequests.find((r) => r.requestId === requestId);
    const quorum = still ? quorumLine(still) : undefined;
    if (approved === true && quorum) return html(200, resultPage({ title: "Approval recorded", tone: "success", message: `${quorum} ${what}runs once enough people approved. You can close this page.` }));
    if (event.type === "human_responded" && event.data.decision === "edit") return html(200, resultPage({ title: "Approved with your changes", tone: "success", message: `${what}will run with ${JSON.stringify(event.data.args)}. You can close this page.` }));
    if (approved === true) return html(200, resultPage({ title: "Approved", tone: "success", message: `${what}will run now. You can close this page.` }));
    if (approved === false) return html(200, resultPage({ title: "Rejected", tone: "success", message: `${what}will not run; the agent has been told. You can close this page.` }));
    return html(200, resultPage({ title: "Answer recorded", tone: "success", message: "The agent has your answer. You can close this page." }));
  });

  routes.all("/:token", () => fail(405, "Method not allowed", "Open the link in a browser."));
  return routes;
}

/** A rejection from respond() keeps its status; its code (and, for a closed thread, the log) picks the words. */
async function rejected(rejection: Rejection, back: string, closing: () => Promise<Closing>): Promise<Response> {
  switch (rejection.code) {
    case "already_answered":
      return fail(409, "This request was already answered", "Someone answered it before you; nothing was changed.");
    case "request_expired":
      return fail(409, "This request has expired", "The time to answer it passed before your answer arrived; nothing was changed.");
    case "approval_required":
      return fail(400, "Choose Approve or Reject", "Your answer was not recorded. Go back and press one of the two buttons.", back);
    case "self_approval_refused":
      return fail(403, "You may not approve your own request", `${rejection.message} Nothing was recorded.`);
    case "already_approved":
      return fail(409, "You already approved this request", "It needs someone else's approval too; nothing was changed.");
    case "field_not_editable":
    case "invalid_arguments":
    case "edit_not_allowed":
      return fail(400, "These changes were not accepted", `${rejection.message} Nothing was recorded.`, back);
    case "answer_required":
      return fail(400, "Please write an answer", "Your answer was empty, so nothing was recorded.", back);
    case "thread_not_found":
      return UNKNOWN_THREAD();
    case "thread_closed": {
      // A finished thread rejects before looking at the request; the log still knows who answered.
      const closed = await closing();
      if (closed) return notPendingPage(closed);
      return fail(409, "This request is no longer open", rejection.message);
    }
    default:
      return fail(rejection.status, "This request is no longer open", rejection.message);
  }
}

type Closing = "answered" | "timed_out" | undefined;

function notPendingPage(closing: "answered" | "timed_out"): Response {
  return closing === "answered"
    ? fail(409, "This request was already answered", "Nothing more is needed from you.")
    : fail(409, "This request has expired", "Nobody answered before its deadline, so the agent went on without it.");
}

function notPending(thread: ThreadView, closing: Closing): Response {
  if (closing) return notPendingPage(closing);
  if (thread.status === "cancelled" || thread.status === "done" || thread.status === "failed") {
    return fail(409, "This request is no longer open", `The thread is ${thread.status}.`);
  }
  return fail(409, "This request is no longer open", "The agent no longer needs this answer.");
}

/** What closed a request, from the thread's own log index (a "withdrawn" request reads as still explainable by the thread status). */
async function closingOf(stub: ThreadRpc, requestId: RequestId): Promise<Closing> {
  const history = await stub.requestHistory(requestId);
  return history === "answered" || history === "timed_out" ? history : undefined;
}
