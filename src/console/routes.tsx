/** @jsxImportSource hono/jsx */
import { Hono, type Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { patchFromForm } from "../channels/edit-form";
import type { AgentRegistry } from "../agents";
import { EventBody, RequestId, ThreadId } from "../core";
import { listThreads, statusCounts, usageTotals } from "../runtime/index/thread-index";
import { totalUsage } from "../runtime/index/thread-index-stats";
import { threadStub } from "../runtime/thread-stub";
import { ApiError, onError } from "../triggers/http/errors";
import { decodeCursor, encodeCursor, ThreadStatusFilter } from "../triggers/http/schemas";
import { resumeFrom, streamResponse } from "../triggers/http/stream";
import { variantStatsView } from "../triggers/http/variant-stats";
import { CONSOLE_JS } from "./client";
import { checkCredential, credentials } from "./credentials";
import { consoleUser, identitySource, principalOf } from "./identity";
import { form, postToApi, safeReturn, wantsJson, type Dispatch } from "./forms";
import { consoleEvalRoutes } from "./evals";
import { EvalListTable, EvalStartForm } from "./pages/evals";
import { evalList } from "../evals/stubs";
import { modelConfigFrom } from "../model/config";
import { requireSession, sameOrigin, securityHeaders, type ConsoleEnv } from "./guard";
import { AccessSignInPage, AgentPage, AgentsPage, InboxPage, MessagePage, SignInPage, ThreadHeader, ThreadPage, Timeline } from "./pages/pages";
import { ThreadsPage } from "./pages/threads";
import { InboxEntry } from "./pages/approval";
import { allEvents, inboxItems, recentCalls } from "./reads";
import { page } from "./pages/layout";
import { ContextPage } from "./pages/context";
import { COOKIE, issueSession, sessionLifetime } from "./session";
import { traceLink } from "../traces/link";
import { CONSOLE_CSS } from "./style";

// /console: the operator's pages. Reads go to the same thread objects and index as the
// API; answers go through the same respond() check, recorded with the signed-in principal.

/** Events on one page of a thread's timeline. */
const TIMELINE_PAGE = 50;

const EVENT_TYPES = EventBody.options.map((o) => o.shape.type.value);

const SignIn = z.object({ name: z.string().min(1).max(40), token: z.string().min(1).max(500), next: z.string().max(500).optional() });
// Loose: the edit form's `edit.<field>` inputs come through to patchFromForm.
const Respond = z.looseObject({
  requestId: RequestId,
  decision: z.enum(["approve", "reject", "edit", "answer"]).optional(),
  comment: z.string().max(32_000).optional(),
  answer: z.string().max(32_000).optional(),
  returnTo: z.string().max(500).optional(),
});
const Fork = z.object({
  atSeq: z.coerce.number().int().min(1),
  variant: z.string().max(40).optional(),
  model: z.string().max(200).optional(),
});
const ListFilter = z.object({
  agent: z.string().max(40).optional(),
  /** The start of a thread id, or words from its launch message. */
  q: z.string().trim().max(100).optional(),
  status: z.union([ThreadStatusFilter, z.literal("")]).optional(),
  cursor: z.string().max(500).optional(),
});

/** Cloudflare Access's logout URL, served by Access on the application's own host. */
export const ACCESS_LOGOUT = "/cdn-cgi/access/logout";

const threadIdOf = (raw: string | undefined) => {
  const parsed = ThreadId.safeParse(raw ?? "");
  if (!parsed.success) throw new ApiError(400, "invalid_thread_id", "Not a valid thread id.");
  return parsed.data;
};

export function consoleRoutes(agents: AgentRegistry, now: () => number, dispatch: Dispatch, outbound: typeof fetch) {
  const app = new Hono<ConsoleEnv>();
  const variantsOf = (agent: string) => agents.get(agent)?.variants.map((v) => v.name) ?? [];
  app.use("*", securityHeaders);
  app.onError((error, c) => {
    // A person navigating gets a page; the client script and other callers get the JSON error shape.
    if (error instanceof ApiError && !wantsJson(c) && (c.req.header("accept") ?? "").includes("text/html")) {
      const who = c.get("user")?.id;
      return c.html(page(<MessagePage title="Not done" message={error.message} {...(who ? { who } : {})} />), error.status);
    }
    return onError(error, c);
  });

  app.get("/static/console.js", (c) => c.body(CONSOLE_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" }));
  app.get("/static/console.css", (c) => c.body(CONSOLE_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=300" }));

  app.get("/sign-in", async (c) => {
    const next = safeReturn(c.req.query("next"), "/console/inbox");
    if (identitySource(c.env) === "access") {
      // Access signs every request it lets through: with a valid assertion this visit is signed in already.
      if (await consoleUser(c, now(), outbound)) return c.redirect(next, 303);
      return c.html(page(<AccessSignInPage />), 401);
    }
    return c.html(page(<SignInPage next={next} names={credentials(c.env).map((x) => x.name)} />));
  });
  app.post("/sign-in", sameOrigin, async (c) => {
    if (identitySource(c.env) === "access") {
      throw new ApiError(401, "access_required", "This console signs in through Cloudflare Access; credentials are not accepted here.");
    }
    const input = await form(c, SignIn);
    const credential = await checkCredential(credentials(c.env), input.name, input.token);
    if (!credential) {
      const next = safeReturn(input.next, "/console/inbox");
      return c.html(page(<SignInPage error="That name and token do not match a credential." next={next} names={[]} />), 401);
    }
    const lifetime = sessionLifetime(c.env);
    const session = await issueSession(credential, now(), lifetime);
    setCookie(c, COOKIE, session.value, { httpOnly: true, secure: true, sameSite: "Strict", path: "/", maxAge: lifetime });
    return c.redirect(safeReturn(input.next, "/console/inbox"), 303);
  });
  app.post("/sign-out", sameOrigin, (c) => {
    deleteCookie(c, COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Strict" });
    // Behind Access the identity is Access's own cookie: its logout URL on this host ends it.
    return c.redirect(identitySource(c.env) === "access" ? ACCESS_LOGOUT : "/console/sign-in", 303);
  });

  app.use("*", requireSession(now, outbound), sameOrigin);
  const who = (c: Context<ConsoleEnv>) => c.var.user.id;

  app.get("/", (c) => c.redirect("/console/inbox", 303));

  app.get("/inbox", async (c) => c.html(page(<InboxPage who={who(c)} items={await inboxItems(c.env)} now={now()} />)));
  // The inbox's live part: the client adds entries it does not show yet and drops answered ones.
  app.get("/inbox/items", async (c) => {
    const items = await inboxItems(c.env);
    return c.html(items.map((item) => String(<InboxEntry item={item} returnTo="/console/inbox" now={now()} />)).join(""));
  });

  app.get("/threads", async (c) => {
    const parsed = ListFilter.safeParse(c.req.query());
    if (!parsed.success) throw new ApiError(400, "invalid_query", "Unknown filter value: status must be one of the listed statuses, and the search at most 100 characters.");
    const filter = parsed.data;
    const before = filter.cursor ? decodeCursor(filter.cursor) : undefined;
    if (filter.cursor && !before) throw new ApiError(400, "invalid_cursor", "The cursor is not one this console issued.");
    const shown = { ...(filter.agent ? { agent: filter.agent } : {}), ...(filter.status ? { status: filter.status } : {}), ...(filter.q ? { q: filter.q } : {}) };
    const [result, counts] = await Promise.all([
      listThreads(c.env, {
        limit: 25,
        withPending: true,
        ...(filter.agent ? { agent: filter.agent } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.q ? { search: filter.q } : {}),
        ...(before ? { before } : {}),
      }),
      statusCounts(c.env, filter.agent || undefined),
    ]);
    return c.html(
      page(
        <ThreadsPage
          who={who(c)}
          threads={result.threads}
          agents={[...agents.keys()]}
          filter={shown}
          counts={counts}
          now={now()}
          {...(result.next ? { next: encodeCursor(result.next) } : {})}
        />,
      ),
    );
  });

  app.get("/threads/:id", async (c) => {
    const id = threadIdOf(c.req.param("id"));
    const before = z.coerce.number().int().min(2).optional().safeParse(c.req.query("before"));
    if (!before.success) throw new ApiError(400, "invalid_query", "before must be a seq of 2 or more.");
    const thread = await threadStub(c.env, id).thread();
    if (!thread) throw new ApiError(404, "thread_not_found", `No thread ${id}.`);
    // Newest page first; "load earlier" moves back a page at a time (a long thread never loads whole).
    const upTo = Math.min(thread.lastSeq, (before.data ?? thread.lastSeq + 1) - 1);
    const from = Math.max(0, upTo - TIMELINE_PAGE);
    const [events, previous] = await Promise.all([
      threadStub(c.env, id)
        .events(from, upTo - from)
        .then((p) => p.events.filter((e) => e.seq <= upTo)),
      recentCalls(c.env, thread),
    ]);
    return c.html(
      page(
        <ThreadPage
          who={who(c)}
          thread={thread}
          events={events}
          variants={variantsOf(thread.agent)}
          eventTypes={EVENT_TYPES}
          now={now()}
          upTo={upTo}
          trace={traceLink(c.env, thread.id)}
          previous={previous}
        />,
      ),
    );
  });
  app.get("/threads/:id/context", async (c) => {
    const id = threadIdOf(c.req.param("id"));
    const context = await threadStub(c.env, id).context();
    if (!context.ok) throw new ApiError(context.rejection.status, context.rejection.code, context.rejection.message);
    return c.html(page(<ContextPage who={who(c)} threadId={id} input={context.value} />));
  });
  // Fragments the client fetches when the stream says the log grew: one renderer, on the server.
  app.get("/threads/:id/timeline", async (c) => {
    const id = threadIdOf(c.req.param("id"));
    const after = z.coerce.number().int().min(0).safeParse(c.req.query("after") ?? "0");
    if (!after.success) throw new ApiError(400, "invalid_query", "after must be a seq.");
    const thread = await threadStub(c.env, id).thread();
    if (!thread) throw new ApiError(404, "thread_not_found", `No thread ${id}.`);
    return c.html(String(<Timeline events={await allEvents(c.env, id, after.data)} threadId={id} variants={variantsOf(thread.agent)} now={now()} />));
  });
  app.get("/threads/:id/header", async (c) => {
    const thread = await threadStub(c.env, threadIdOf(c.req.param("id"))).thread();
    if (!thread) throw new ApiError(404, "thread_not_found", "No such thread.");
    return c.html(String(<ThreadHeader thread={thread} now={now()} variants={variantsOf(thread.agent)} trace={traceLink(c.env, thread.id)} previous={await recentCalls(c.env, thread)} />));
  });
  app.get("/threads/:id/stream", async (c) => {
    const after = z.coerce.number().int().min(0).optional().safeParse(c.req.query("after"));
    if (!after.success) throw new ApiError(400, "invalid_query", "after must be a seq.");
    return streamResponse(c.env, threadIdOf(c.req.param("id")), resumeFrom(c.req.header("last-event-id"), after.data));
  });

  app.post("/threads/:id/respond", async (c) => {
    const id = threadIdOf(c.req.param("id"));
    const input = await form(c, Respond);
    const stub = threadStub(c.env, id);
    // An edit is a patch over the arguments shown: read them to see which fields changed.
    const shown = input.decision === "edit" ? (await stub.thread())?.pendingRequests.find((r) => r.requestId === input.requestId) : undefined;
    const result = await stub.respond(
      {
        requestId: input.requestId,
        ...(input.decision === "edit" ? { decision: "edit" as const, args: shown ? patchFromForm(shown, input) : {} } : {}),
        ...(input.decision === "approve" || input.decision === "reject" ? { approved: input.decision === "approve" } : {}),
        ...(input.comment?.trim() ? { comment: input.comment } : {}),
        ...(input.answer?.trim() ? { answer: input.answer } : {}),
        by: principalOf(c.var.user),
      },
      undefined,
      { kind: "http", detail: { via: "console", credential: who(c) } },
    );
    if (!result.ok) throw ApiError.from(result.rejection);
    if (wantsJson(c)) return c.json({ status: result.value.thread.status, event: { seq: result.value.event.seq, type: result.value.event.type } });
    return c.redirect(safeReturn(input.returnTo, `/console/threads/${id}`), 303);
  });

  for (const verb of ["pause", "resume", "cancel"] as const) {
    app.post(`/threads/:id/${verb}`, async (c) => {
      const id = threadIdOf(c.req.param("id"));
      const stub = threadStub(c.env, id);
      const result = verb === "pause" ? await stub.pause(`paused in the console by ${who(c)}`) : verb === "resume" ? await stub.resume() : await stub.cancel(`cancelled in the console by ${who(c)}`);
      if (!result.ok) throw ApiError.from(result.rejection);
      return c.redirect(`/console/threads/${id}`, 303);
    });
  }

  // A fork goes through the API's own route (one implementation of its checks), as the signed-in credential.
  app.post("/threads/:id/fork", async (c) => {
    const id = threadIdOf(c.req.param("id"));
    const input = await form(c, Fork);
    const body = await postToApi<{ id: string }>(c, dispatch, `/v1/threads/${id}/fork`, {
      atSeq: input.atSeq,
      ...(input.variant ? { variant: input.variant } : {}),
      ...(input.model ? { model: input.model } : {}),
    });
    return c.redirect(`/console/threads/${body.id}`, 303);
  });

  app.route("/", consoleEvalRoutes(dispatch));

  app.get("/agents", (c) => c.html(page(<AgentsPage who={who(c)} agents={[...agents.values()].map((a) => ({ name: a.name, description: a.description }))} />)));
  app.get("/agents/:agent", async (c) => {
    const agent = agents.get(c.req.param("agent"));
    if (!agent) throw new ApiError(404, "unknown_agent", "No such agent.");
    // The same index-backed totals as GET /v1/agents/{agent}/usage, over all time.
    const [stats, variants, evals] = await Promise.all([variantStatsView(c.env, agent), usageTotals(c.env, agent.name, {}), evalList(c.env, agent.name, 20)]);
    const usage = { total: totalUsage(variants), variants };
    const model = modelConfigFrom(c.env);
    return c.html(
      page(
        <AgentPage who={who(c)} agent={{ name: agent.name, description: agent.description }} variants={stats.variants} usage={usage}>
          <EvalStartForm agent={agent.name} variants={agent.variants.map((v) => v.name)} requestKey={`console-${crypto.randomUUID()}`} {...(model.ok ? { model: model.config.model } : {})} />
          <EvalListTable evals={evals} />
        </AgentPage>,
      ),
    );
  });

  return app;
}
