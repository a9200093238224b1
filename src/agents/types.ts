import type { z } from "zod";
import type { AgentName, AgentPlan, CallId, ContextPolicy, Json, ThreadId, ThreadView, TimeoutPolicy, TokenizerName, ToolCatalog, ToolSpec } from "../core";
import type { McpSetup } from "./mcp";

// The agent and tool types, in one file that imports only core: define.ts, delegate.ts,
// prefetch.ts and variants.ts build values of these types, and the runtime reads them.

/** What a tool handler gets: its inputs come as arguments, never from ambient state. */
export type ToolContext = {
  readonly env: Env;
  readonly threadId: ThreadId;
  readonly callId: CallId;
  readonly attempt: number;
  /** Aborted when the tool's `timeoutMs` runs out. */
  readonly signal: AbortSignal;
  readonly fetch: typeof fetch;
  /** Other threads, read through the runtime (filled in by its tool runner): tools never import runtime/. */
  readonly threads: ThreadDirectory;
};

/** A summary of a thread, as the thread index holds it. */
export type ThreadListing = { readonly id: string; readonly agent: string; readonly status: string; readonly updatedAt: string };

/** The port through which a tool reads other threads (e.g. the digest agent's list of waiting threads). */
export type ThreadDirectory = {
  /** Threads in `status`, newest first, at most `limit`; `more` when the index holds more. */
  list(query: { readonly status: string; readonly limit: number }): Promise<{ readonly threads: readonly ThreadListing[]; readonly more: boolean }>;
  /** One thread as its object answers it (null: no such thread). */
  view(threadId: string): Promise<ThreadView | null>;
};

type Common<S extends z.ZodObject> = {
  readonly name: string;
  readonly description: string;
  readonly input: S;
};

/** A tool that runs our code. */
export type ActionTool<S extends z.ZodObject = z.ZodObject> = Common<S> & {
  readonly intent: "act";
  readonly run: (args: z.infer<S>, ctx: ToolContext) => Promise<Json>;
  /** Safe to re-run if a crash left its outcome unknown. Default false. */
  readonly idempotent: boolean;
  /** Approval policy, evaluated on the exact arguments. */
  readonly requiresApproval: (args: z.infer<S>) => boolean;
  /** How the policy reads, for `GET /v1/agents`. */
  readonly approval: "always" | "never" | "depends_on_arguments";
  readonly timeoutMs: number;
  /** Deadline for the approval request, overriding the agent's default. */
  readonly humanTimeoutSeconds?: number;
  /** What a missed approval deadline does, overriding the agent's default. */
  readonly onHumanTimeout?: TimeoutPolicy;
  /** Who may approve (addresses, @domains, credential names), read from the environment at request time; empty = any verified principal. */
  readonly approvers?: (env: Env) => readonly string[];
  /** Distinct approvals a held call needs (invariant 13), read at request time; default 1. */
  readonly approvalsRequired?: (env: Env) => number;
  /** false: the thread's launcher may not approve or edit its calls; read at request time; default true. */
  readonly selfApproval?: (env: Env) => boolean;
  /** Argument fields a human may change while approving; none = edit is off. */
  readonly editable?: readonly string[];
};

/** A tool whose call is a message to a human (ask) or the thread's final answer (finish). */
export type MessageTool = Common<z.ZodObject<{ message: z.ZodString }>> & {
  readonly intent: "ask_human" | "finish";
  readonly humanTimeoutSeconds?: number;
  readonly onHumanTimeout?: TimeoutPolicy;
};

export type ToolDefinition = ActionTool<z.ZodObject> | MessageTool | DelegateTool;

/**
 * A tool whose call hands a task to another agent's thread (Factor 10). Core sees only
 * its intent, "delegate"; the runtime launches the child and the child's end comes
 * back as this call's ordinary result.
 */
export type DelegateTool = {
  readonly name: string;
  readonly description: string;
  readonly input: z.ZodObject;
  readonly intent: "delegate";
  /** The agent that runs the child thread. */
  readonly agent: AgentName;
  /** The child's launch message, built from the validated arguments. */
  readonly message: (args: Record<string, unknown>) => string;
  /** How long the parent waits before recording `agent_timeout` and cancelling the child. */
  readonly timeoutSeconds: number;
  /** A delegate never holds a human request of its own: its child asks, as a normal thread. */
  readonly humanTimeoutSeconds?: never;
  readonly onHumanTimeout?: never;
};

/** One version of an agent's prompt (Factor 2). Its content hash is its version. */
export type PromptVariant = {
  readonly name: string;
  readonly file: string;
  readonly template: string;
  /** Share of new threads that get this variant; 0 = only when pinned (launch or fork). */
  readonly weight: number;
};

export type AgentEmailOptions = {
  /** Addresses (`alice@example.com`) or whole domains (`@example.com`) that may email this agent. */
  readonly allowedSenders?: readonly string[];
};

export type AgentDefinition = {
  readonly name: AgentName;
  readonly description: string;
  /** The prompt template (Factor 2). Its content hash is its version. */
  readonly prompt: { readonly file: string; readonly template: string };
  readonly tools: readonly ToolDefinition[];
  /** Default deadline for human requests of this agent. */
  readonly humanTimeoutSeconds: number;
  /** Default timeout policy for this agent's human requests. */
  readonly onHumanTimeout: TimeoutPolicy;
  /** Email trigger settings: who may email this agent, besides EMAIL_ALLOWED_SENDERS. */
  readonly email?: AgentEmailOptions;
  /** Slack: the channel id this agent's requests go to, instead of SLACK_APPROVAL_CHANNEL (docs/slack.md). */
  readonly slack?: { readonly channel: string };
  /** Derived once at definition time. */
  readonly toolSpecs: readonly ToolSpec[];
  readonly catalog: ToolCatalog;
  readonly tool: (name: string) => ToolDefinition | undefined;
  /** Fan-out limit: children one thread of this agent may launch (Factor 10). */
  readonly maxChildren: number;
  /** Prompt variants (Factor 2): "default" (from `prompt`) first, then the declared ones. */
  readonly variants: readonly PromptVariant[];
  /** What runs around the model: pre-fetch calls (Factor 13). */
  readonly plan: AgentPlan;
  /** Factor 3: what the model sees, by importance, within a token budget (see docs/context.md). */
  readonly context: AgentContext;
  /** MCP servers whose tools this agent offers (docs/mcp.md); listed into each thread's log on its first step. */
  readonly mcp?: McpSetup;
};

export type AgentContext = {
  readonly policy: ContextPolicy;
  /** The whole model input (messages and tool schemas), in tokens. */
  readonly tokens: number;
  /** The encoding to count with; absent: chosen from the model's name. */
  readonly tokenizer?: TokenizerName;
};

export type AgentRegistry = ReadonlyMap<string, AgentDefinition>;

