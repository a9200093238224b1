import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { AgentRegistry } from "../../agents/types";
import { DecisionWord, JsonObject, RequestId, ThreadId, type EventSource, type Principal, type Rejection } from "../../core";
import type { Result } from "../../runtime/thread-rpc";
import { threadStub } from "../../runtime/thread-stub";
import { agentList, newThreadId } from "../http/agents";
import { openRequests } from "../../runtime/index/open-requests";

// The runtime as an MCP server (docs/mcp.md): the same operations as the HTTP API, as tools.
// Results carry `structuredContent` in the HTTP API's shapes plus a short text. Answers are
// recorded with the caller's `mcp` principal and obey named approvers like every other path.

export type McpCaller = {
  readonly env: Env;
  readonly principal: Principal;
  readonly outbound: typeof fetch;
  readonly correlationId?: string;
};

const ok = (text: string, structured: object): CallToolResult => ({ content: [{ type: "text", text }], structuredContent: structured as Record<string, unknown> });

/** A rejection as a tool error the client's model can read: the HTTP API's error shape. */
const refused = (rejection: Pick<Rejection, "code" | "message">): CallToolResult => ({
  isError: true,
  content: [{ type: "text", text: `${rejection.code}: ${rejection.message}` }],
  structuredContent: { error: { code: rejection.code, message: rejection.message } },
});

function answered<T>(result: Result<T>, text: (value: T) => string): CallToolResult {
  return result.ok ? ok(text(result.value), result.value as object) : refused(result.rejection);
}

const threadIdOf = (raw: string) => {
  const parsed = ThreadId.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
};
const badThreadId = (raw: string) => refused({ code: "invalid_thread_id", message: `"${raw.slice(0, 80)}" is not a valid thread id.` });

/** A fresh server per request: nothing lives in memory between requests (a new isolate may serve the next). */
export function runtimeMcpServer(agents: AgentRegistry, caller: McpCaller): McpServer {
  const server = new McpServer({ name: "edge-agents", version: "1.0.0" });
  const { env, principal } = caller;
  const source: EventSource = { kind: "mcp", detail: { principal: principal.id }, ...(caller.correlationId ? { correlationId: caller.correlationId } : {}) };

  server.registerTool(
    "list_agents",
    { description: "The agents this runtime serves, with their tools (as GET /v1/agents).", annotations: { readOnlyHint: true } },
    async () => {
      const list = await agentList(agents, env, caller.outbound);
      return ok(list.agents.map((a) => `${a.name}: ${a.description}`).join("\n"), list);
    },
  );

  server.registerTool(
    "launch_thread",
    {
      description: "Start a thread of an agent with a first message. With threadId, a repeat launch returns the same thread.",
      inputSchema: { agent: z.string().min(1).max(40), message: z.string().min(1).max(32_000), threadId: z.string().min(1).max(64).optional() },
      annotations: { destructiveHint: false, idempotentHint: false },
    },
    async (args) => {
      const agent = agents.get(args.agent);
      if (!agent) return refused({ code: "unknown_agent", message: `No agent named "${args.agent.slice(0, 40)}".` });
      const threadId = args.threadId === undefined ? newThreadId() : threadIdOf(args.threadId);
      if (!threadId) return badThreadId(args.threadId ?? "");
      const result = await threadStub(env, threadId).launch({ threadId, agent: agent.name, message: args.message, by: principal }, source);
      return result.ok ? ok(`Thread ${threadId} is ${result.value.thread.status}.`, result.value.thread) : refused(result.rejection);
    },
  );

  server.registerTool(
    "get_thread",
    { description: "A thread's status, pending requests and result (as GET /v1/threads/{id}).", inputSchema: { threadId: z.string().min(1).max(64) }, annotations: { readOnlyHint: true } },
    async (args) => {
      const threadId = threadIdOf(args.threadId);
      if (!threadId) return badThreadId(args.threadId);
      const thread = await threadStub(env, threadId).thread(principal);
      if (!thread) return refused({ code: "thread_not_found", message: `No thread ${threadId}.` });
      return ok(`Thread ${threadId} (${thread.agent}) is ${thread.status}.`, thread);
    },
  );

  server.registerTool(
    "list_pending",
    { description: "Open human requests (approvals and questions) across threads, oldest first.", inputSchema: { agent: z.string().min(1).max(40).optional() }, annotations: { readOnlyHint: true } },
    async (args) => {
      const pending = (await openRequests(env))
        .filter((i) => args.agent === undefined || i.thread.agent === args.agent)
        .map((i) => ({ threadId: i.thread.id, agent: i.thread.agent, request: i.request }));
      const lines = pending.map((p) => `${p.threadId} ${p.request.requestId} (${p.request.kind}): ${p.request.message}`);
      return ok(lines.length > 0 ? lines.join("\n") : "Nothing is waiting for a human.", { pending });
    },
  );

  server.registerTool(
    "respond",
    {
      description:
        "Answer a thread's open request: decide an approval (decision approve | reject | edit, or approved true/false; an edit approves `args`, the tool's editable fields, instead), or answer a question (answer).",
      inputSchema: {
        threadId: z.string().min(1).max(64),
        requestId: z.string().min(1).max(64),
        decision: DecisionWord.optional(),
        args: JsonObject.optional(),
        approved: z.boolean().optional(),
        comment: z.string().max(4000).optional(),
        answer: z.string().max(32_000).optional(),
      },
      annotations: { destructiveHint: true, idempotentHint: false },
    },
    async (args) => {
      const threadId = threadIdOf(args.threadId);
      if (!threadId) return badThreadId(args.threadId);
      const answer = {
        requestId: RequestId.parse(args.requestId),
        ...(args.approved !== undefined ? { approved: args.approved } : {}),
        ...(args.decision !== undefined ? { decision: args.decision } : {}),
        ...(args.args !== undefined ? { args: args.args } : {}),
        ...(args.comment !== undefined ? { comment: args.comment } : {}),
        ...(args.answer !== undefined ? { answer: args.answer } : {}),
        by: principal,
      };
      const result = await threadStub(env, threadId).respond(answer, undefined, source);
      return answered(result, (v) => `Answered ${args.requestId}; thread ${threadId} is ${v.thread.status}.`);
    },
  );

  server.registerTool(
    "send_message",
    { description: "Send a message to a thread (as POST /v1/threads/{id}/messages).", inputSchema: { threadId: z.string().min(1).max(64), text: z.string().min(1).max(32_000) } },
    async (args) => {
      const threadId = threadIdOf(args.threadId);
      if (!threadId) return badThreadId(args.threadId);
      const result = await threadStub(env, threadId).message(args.text, undefined, source);
      return answered(result, (v) => `Sent; thread ${threadId} is ${v.thread.status}.`);
    },
  );

  return server;
}
