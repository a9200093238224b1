import { z } from "zod";
import { ApproverEntry, checkContextPolicy, DEFAULT_CONTEXT_TOKENS, defaultContextPolicy, TokenizerName, type ContextPolicy } from "../core";
import { checkDelegates } from "./delegate";
import {
  AgentName,
  DEFAULT_MAX_CHILDREN,
  MAX_APPROVALS_REQUIRED,
  placeholders,
  type Json,
  type JsonObject,
  type ToolFacts,
  type TimeoutPolicy,
} from "../core";
import { resolvePrefetch, type PrefetchInput } from "./prefetch";
import { resolveVariants, type VariantInput } from "./variants";
import type { ActionTool, AgentContext, AgentDefinition, AgentEmailOptions, AgentRegistry, DelegateTool, MessageTool, ToolContext, ToolDefinition } from "./types";
import { checkServers, type McpSetup } from "./mcp";

export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

export function defineTool<S extends z.ZodObject>(tool: {
  name: string;
  description: string;
  input: S;
  run: (args: z.infer<S>, ctx: ToolContext) => Promise<Json>;
  idempotent?: boolean;
  requiresApproval?: boolean | ((args: z.infer<S>) => boolean);
  timeoutMs?: number;
  humanTimeoutSeconds?: number;
  onHumanTimeout?: TimeoutPolicy;
  /** Named approvers: a fixed list, or read from the environment (e.g. a var holding a list). */
  approvers?: readonly string[] | ((env: Env) => readonly string[]);
  /** Invariant 13: distinct approvals a held call needs (a number, or read from the environment). */
  approvals?: { required: number | ((env: Env) => number) };
  /** false (or a function answering false): the thread's launcher may not approve or edit its calls. */
  selfApproval?: boolean | ((env: Env) => boolean);
  /** Top-level argument fields a human may change while approving (decision "edit"); none by default. */
  editable?: readonly (keyof z.infer<S> & string)[];
}): ActionTool<z.ZodObject> {
  const policy = tool.requiresApproval ?? false;
  const editable = checkEditable(tool.name, tool.input, tool.editable ?? []);
  const required = tool.approvals?.required;
  const self = tool.selfApproval;
  const definition: ActionTool<S> = {
    name: tool.name,
    description: tool.description,
    input: tool.input,
    intent: "act",
    run: tool.run,
    idempotent: tool.idempotent ?? false,
    requiresApproval: typeof policy === "function" ? policy : () => policy,
    approval: typeof policy === "function" ? "depends_on_arguments" : policy ? "always" : "never",
    timeoutMs: tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
    ...(tool.humanTimeoutSeconds ? { humanTimeoutSeconds: tool.humanTimeoutSeconds } : {}),
    ...(tool.onHumanTimeout ? { onHumanTimeout: tool.onHumanTimeout } : {}),
    ...(tool.approvers ? { approvers: approverSource(tool.approvers) } : {}),
    ...(required !== undefined ? { approvalsRequired: requiredSource(tool.name, required) } : {}),
    ...(self !== undefined ? { selfApproval: typeof self === "function" ? self : () => self } : {}),
    ...(editable.length > 0 ? { editable } : {}),
  };
  // Variance: the handler only ever receives args parsed by this same schema.
  return definition as unknown as ActionTool<z.ZodObject>;
}

/** Editable fields must be fields of the tool's input: a typo would silently allow nothing. */
function checkEditable(tool: string, input: z.ZodObject, fields: readonly string[]): readonly string[] {
  for (const field of fields) if (!(field in input.shape)) throw new Error(`tool ${tool}: editable field "${field}" is not in its input schema`);
  return [...new Set(fields)];
}

/** A fixed count is checked at definition; one read from the environment when asked (a bad setting is the operator's to fix). */
function requiredSource(tool: string, required: number | ((env: Env) => number)): (env: Env) => number {
  const check = (n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > MAX_APPROVALS_REQUIRED) throw new Error(`tool ${tool}: approvals.required must be an integer from 1 to ${MAX_APPROVALS_REQUIRED}, not ${n}.`);
    return n;
  };
  if (typeof required === "number") {
    const fixed = check(required);
    return () => fixed;
  }
  return (env) => check(required(env));
}

/** A count from a setting: empty = `fallback`; anything else must be a whole number (checked where it is used). */
export function countSetting(value: string | undefined, fallback: number): number {
  const text = value?.trim() ?? "";
  return text === "" ? fallback : /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** A yes/no setting: empty = `fallback`; "true"/"false" (any case); anything else throws where it is used. */
export function flagSetting(value: string | undefined, name: string, fallback: boolean): boolean {
  const text = value?.trim().toLowerCase() ?? "";
  if (text === "") return fallback;
  if (text === "true" || text === "false") return text === "true";
  throw new Error(`${name} must be "true" or "false", not "${value}".`);
}

/** Checked once at definition: a malformed entry would otherwise silently match nobody. */
function approverSource(approvers: readonly string[] | ((env: Env) => readonly string[])): (env: Env) => readonly string[] {
  if (typeof approvers === "function") return (env) => parseApprovers(approvers(env));
  const fixed = parseApprovers(approvers);
  return () => fixed;
}

/** Lowercased entries; throws on one that is not an address, an @domain or a credential name. */
export function parseApprovers(entries: readonly string[] | string | undefined): string[] {
  const list = typeof entries === "string" ? entries.split(/[\s,]+/) : (entries ?? []);
  return list
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e.length > 0)
    .map((e) => {
      if (!ApproverEntry.safeParse(e).success) throw new Error(`"${e}" is not an approver entry (an address, an @domain or a credential name).`);
      return e;
    });
}

const messageInput = (what: string) => z.object({ message: z.string().min(1).describe(what) });

/** Factor 7: contacting a human is just another tool call. The thread waits (kind "input"). */
export const requestMoreInformation: MessageTool = {
  name: "request_more_information",
  description: "Ask the human a question when you need information or a decision only they can give.",
  input: messageInput("The question for the human, self-contained."),
  intent: "ask_human",
};

/** Ends the thread with `result.message`. */
export const doneForNow: MessageTool = {
  name: "done_for_now",
  description: "Finish the thread: report the outcome to the human.",
  input: messageInput("The final answer or summary for the human."),
  intent: "finish",
};

/** Placeholders every prompt may use; anything else is a definition error. */
export const PROMPT_VARIABLES = ["agent", "description", "thread_id", "metadata", "tools"] as const;

export const DEFAULT_HUMAN_TIMEOUT_SECONDS = 24 * 60 * 60;

/**
 * Declares an agent and checks it at setup, not at the first request: a bad name,
 * duplicate tools or an unknown prompt placeholder throws here.
 */
export function defineAgent(agent: {
  name: string;
  description: string;
  /** The default prompt; `weight` is its share against `variants` (default 1). */
  prompt: { file: string; template: string; weight?: number };
  tools: readonly ToolDefinition[];
  humanTimeoutSeconds?: number;
  onHumanTimeout?: TimeoutPolicy;
  /** Other agents this one may hand work to, each as a `delegate_to_<agent>` tool (see delegate.ts). */
  delegates?: readonly DelegateTool[];
  /** Fan-out limit: children one thread may launch. Default 8. */
  maxChildren?: number;
  /** Other versions of the prompt, chosen per thread by weight (Factor 2). */
  variants?: readonly VariantInput[];
  /** Tools to run, in order, before the first model call (Factor 13). */
  prefetch?: readonly PrefetchInput[];
  email?: AgentEmailOptions;
  slack?: { channel: string };
  /** Factor 3: the context policy (default: defaultContextPolicy), the budget in tokens (default 32,000) and the encoding. */
  context?: { policy?: ContextPolicy; tokens?: number; tokenizer?: TokenizerName };
  /** Tools from MCP servers, as `<server>_<tool>` (docs/mcp.md). */
  mcp?: McpSetup;
}): AgentDefinition {
  const name = AgentName.parse(agent.name);
  const byName = new Map<string, ToolDefinition>();
  const tools: readonly ToolDefinition[] = [...agent.tools, ...(agent.delegates ?? [])];
  const maxChildren = agent.maxChildren ?? DEFAULT_MAX_CHILDREN;
  if (!Number.isInteger(maxChildren) || maxChildren < 1) throw new Error(`${name}: maxChildren must be a positive integer`);
  for (const tool of tools) {
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) throw new Error(`${name}: invalid tool name "${tool.name}"`);
    if (byName.has(tool.name)) throw new Error(`${name}: tool "${tool.name}" is defined twice`);
    byName.set(tool.name, tool);
  }
  if (![...byName.values()].some((t) => t.intent === "finish")) {
    throw new Error(`${name}: needs a tool with intent "finish" (e.g. done_for_now) or its threads can never end`);
  }
  const unknown = placeholders(agent.prompt.template).filter(
    (p) => !(PROMPT_VARIABLES as readonly string[]).includes(p.split(".")[0] as string),
  );
  if (unknown.length > 0) throw new Error(`${name}: prompt ${agent.prompt.file} uses unknown placeholders ${unknown.join(", ")}`);
  const badSender = agent.email?.allowedSenders?.find((entry) => !/^([^@\s]+)?@[^@\s]+$/.test(entry));
  if (badSender !== undefined) throw new Error(`${name}: email.allowedSenders entry "${badSender}" is neither an address nor @domain`);
  if (agent.slack && !/^[A-Z0-9]{2,30}$/.test(agent.slack.channel)) throw new Error(`${name}: slack.channel "${agent.slack.channel}" is not a Slack channel id (e.g. C0123456789)`);

  const context = agentContext(name, agent.context);
  if (agent.mcp && typeof agent.mcp.servers !== "function") checkServers(name, agent.mcp.servers);

  const facts = new Map<string, ToolFacts>();
  for (const tool of byName.values()) {
    facts.set(tool.name, {
      intent: tool.intent,
      idempotent: tool.intent === "act" ? tool.idempotent : true,
      ...(tool.intent === "delegate" ? { maxChildren } : {}),
      needsApproval: (args: JsonObject) => {
        if (tool.intent !== "act") return false;
        // Policies see parsed arguments; arguments that do not parse never run anyway,
        // so failing closed (needs approval) is the safe answer.
        const parsed = tool.input.safeParse(args);
        return parsed.success ? tool.requiresApproval(parsed.data) : true;
      },
    });
  }
  return {
    name,
    description: agent.description,
    prompt: { file: agent.prompt.file, template: agent.prompt.template },
    tools,
    maxChildren,
    humanTimeoutSeconds: agent.humanTimeoutSeconds ?? DEFAULT_HUMAN_TIMEOUT_SECONDS,
    onHumanTimeout: agent.onHumanTimeout ?? "deny",
    ...(agent.email ? { email: agent.email } : {}),
    ...(agent.slack ? { slack: { channel: agent.slack.channel } } : {}),
    ...(agent.mcp ? { mcp: agent.mcp } : {}),
    toolSpecs: tools.map((t) => ({
      name: t.name,
      description: t.description,
      parameters: z.toJSONSchema(t.input, { target: "draft-7" }) as Record<string, unknown>,
    })),
    catalog: (toolName) => facts.get(toolName),
    tool: (toolName) => byName.get(toolName),
    variants: resolveVariants(name, agent.prompt, agent.variants ?? [], PROMPT_VARIABLES),
    plan: resolvePrefetch(name, agent.prefetch ?? [], byName),
    context,
  };
}

function agentContext(name: string, input: { policy?: ContextPolicy; tokens?: number; tokenizer?: TokenizerName } | undefined): AgentContext {
  const tokens = input?.tokens ?? DEFAULT_CONTEXT_TOKENS;
  if (!Number.isInteger(tokens) || tokens < 1_000) throw new Error(`${name}: context.tokens must be an integer of at least 1,000`);
  if (input?.tokenizer !== undefined && !TokenizerName.safeParse(input.tokenizer).success) {
    throw new Error(`${name}: context.tokenizer must be one of ${TokenizerName.options.join(", ")}`);
  }
  return { policy: checkContextPolicy(input?.policy ?? defaultContextPolicy, name), tokens, ...(input?.tokenizer ? { tokenizer: input.tokenizer } : {}) };
}

export function agentRegistry(agents: readonly AgentDefinition[]): AgentRegistry {
  const map = new Map<string, AgentDefinition>();
  for (const agent of agents) {
    if (map.has(agent.name)) throw new Error(`agent "${agent.name}" is defined twice`);
    map.set(agent.name, agent);
  }
  checkDelegates(map);
  return map;
}
