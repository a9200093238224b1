import { named, z } from "./zod";
import { Event, Json } from "../../../core";
import { ThreadSummary } from "../../../runtime/index/thread-index";

// Response schemas of the public API: the OpenAPI document is generated from them, and the
// contract test validates real responses against them. Request schemas live in ../schemas.ts.

// The recursive Json schema becomes one named component (a $ref) instead of an endless inline
// expansion; `.openapi()` on a lazy schema also tags the original, so every use in core refers to it.
named(Json, "Json");

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().regex(/^[a-z][a-z0-9_]*$/),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

const PrincipalView = z.object({ kind: z.string(), id: z.string(), verifiedBy: z.string() }).openapi("Principal");

const ThreadStatus = z.enum(["running", "waiting_for_human", "paused", "done", "failed", "cancelled", "waiting_for_agent"]);

export const PendingRequest = z
  .object({
    requestId: z.string(),
    kind: z.enum(["approval", "input"]),
    reason: z.string(),
    message: z.string(),
    tool: z.object({ name: z.string(), args: z.record(z.string(), Json) }).optional(),
    requestedAt: z.string().openapi({ description: "When the request was made." }),
    deadline: z.string(),
    onTimeout: z.enum(["deny", "escalate", "fail"]),
    escalated: z.boolean(),
    link: z.string().optional(),
    approvers: z.array(z.string()).optional(),
    approvals: z
      .object({ required: z.number().int(), given: z.array(z.object({ by: PrincipalView, at: z.string() })) })
      .optional()
      .openapi({ description: "A quorum: distinct approvals needed, and who approved the arguments held now (\"1 of 2\")." }),
    editable: z.array(z.string()).optional().openapi({ description: "Argument fields an approver may change (decision \"edit\")." }),
    selfApproval: z.literal(false).optional().openapi({ description: "The thread's launcher may not approve or edit this call (403 self_approval_refused)." }),
    edited: z
      .object({ originalArgs: z.record(z.string(), Json), by: PrincipalView })
      .optional()
      .openapi({ description: "A human edited the call: the model's arguments and the editor; tool.args holds the edited ones." }),
  })
  .openapi("PendingRequest");

export const Thread = z
  .object({
    id: z.string(),
    agent: z.string(),
    status: ThreadStatus,
    pending: PendingRequest.optional(),
    pendingRequests: z.array(PendingRequest),
    result: z.object({ message: z.string() }).optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    metadata: z.record(z.string(), Json).optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSeq: z.number().int().nonnegative(),
    variant: z.string().optional(),
    model: z.string().optional(),
    forkedFrom: z.object({ threadId: z.string(), atSeq: z.number().int() }).optional(),
    parent: z.object({ threadId: z.string(), callId: z.string() }).optional(),
    depth: z.number().int().optional(),
    children: z
      .array(
        z.object({
          threadId: z.string(),
          agent: z.string(),
          callId: z.string(),
          status: z.union([ThreadStatus, z.literal("timed_out")]),
          deadline: z.string(),
        }),
      )
      .optional(),
    usage: z
      .object({ modelCalls: z.number().int(), promptTokens: z.number().int(), completionTokens: z.number().int(), totalTokens: z.number().int() })
      .optional(),
    retryAt: z.string().optional(),
    onHumanTimeout: z.enum(["deny", "escalate", "fail"]).optional(),
    full: z
      .object({ seq: z.number().int(), at: z.string(), cap: z.number().int() })
      .optional()
      .openapi({ description: "The thread reached its cap on events (MAX_THREAD_EVENTS) and escalated; outside input gets 409 thread_full." }),
    traceId: z
      .string()
      .regex(/^[0-9a-f]{32}$/)
      .optional()
      .openapi({ description: "The thread's OpenTelemetry trace id (GET /v1/threads/{id}): derived from the thread id, so it is the same whether or not OTLP export is on (docs/observability.md)." }),
  })
  .openapi("Thread");

const UsageTotals = z.object({
  threads: z.number().int(),
  steps: z.number().int(),
  promptTokens: z.number().int(),
  completionTokens: z.number().int(),
  totalTokens: z.number().int(),
});

export const Usage = z
  .object({
    agent: z.string(),
    window: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
    consistency: z.literal("eventual"),
    total: UsageTotals,
    variants: z.record(z.string(), UsageTotals),
  })
  .openapi("Usage");

export const LogEvent = named(Event, "Event");

export const ThreadList = z.object({ threads: z.array(named(ThreadSummary, "ThreadSummary")), next: z.string().optional() });

export const EventPage = z.object({ events: z.array(LogEvent), next: z.number().int().optional() });

export const CommandResult = z.object({ thread: Thread, event: LogEvent });

const ToolSpec = z.object({ name: z.string(), description: z.string(), parameters: z.record(z.string(), z.unknown()) });

/** A range of the log and how the context shows it (Factor 3: say what was left out). */
const ContextSection = z
  .object({
    fromSeq: z.number().int(),
    toSeq: z.number().int(),
    as: z.enum(["full", "summary", "omitted"]),
    reason: z.string().openapi({ description: 'Why: "pinned" or the class of what is shown; "summarised"; "over budget (low)", "older than the read", …' }),
  })
  .openapi("ContextSection");

export const ModelContext = z.object({
  messages: z.array(z.object({ role: z.string(), content: z.string() })),
  tools: z.array(ToolSpec),
  promptVersion: z.string(),
  seenSeq: z.number().int(),
  stats: z.record(z.string(), z.unknown()),
  budget: z
    .object({
      tokens: z.number().int().openapi({ description: "Tokens of the whole input: messages and tool schemas." }),
      limit: z.number().int().openapi({ description: "The agent's budget (context.tokens)." }),
      tokenizer: z.string().openapi({ description: "The encoding counted with, e.g. cl100k_base." }),
    })
    .openapi("ContextBudget"),
  sections: z.array(ContextSection).openapi({ description: "What each range of the log became, in order from the launch to the newest event." }),
});

export const AgentList = z.object({
  agents: z.array(
    z
      .object({
        name: z.string(),
        description: z.string(),
        prompt: z.object({ file: z.string(), version: z.string() }),
        humanTimeoutSeconds: z.number(),
        variants: z.array(z.object({ name: z.string(), file: z.string(), version: z.string(), weight: z.number() })),
        prefetch: z.array(z.unknown()).optional(),
        tools: z.array(
          z.object({
            name: z.string(),
            description: z.string(),
            intent: z.string(),
            needsApproval: z.string(),
            idempotent: z.boolean(),
            parameters: z.unknown().optional(),
            delegatesTo: z.string().optional(),
            timeoutSeconds: z.number().optional(),
            /** Tools from an MCP server (docs/mcp.md); ours have no source. */
            source: z.object({ kind: z.literal("mcp"), server: z.string() }).optional(),
          }),
        ),
        /** Agents on MCP servers: whether any is configured, and each server's listing now. */
        mcp: z
          .object({
            configured: z.boolean(),
            message: z.string().optional(),
            servers: z.array(z.object({ name: z.string(), error: z.string().optional() })),
          })
          .optional(),
      })
      .openapi("Agent"),
  ),
});

const Outcomes = z.object({ done: z.number().int(), failed: z.number().int(), cancelled: z.number().int(), open: z.number().int() });

export const VariantStats = z.object({
  agent: z.string(),
  consistency: z.literal("eventual"),
  variants: z.array(
    z.object({
      name: z.string(),
      file: z.string().optional(),
      version: z.string().optional(),
      weight: z.number().optional(),
      retired: z.literal(true).optional(),
      threads: z.number().int(),
      steps: z.number().int(),
      errors: z.number().int(),
      escalations: z.number().int(),
      outcomes: Outcomes,
    }),
  ),
});

export const Root = z.object({ name: z.string(), agents: z.array(z.string()), console: z.string(), docs: z.string(), openapi: z.string() });

export const WebhookAccepted = z.record(z.string(), z.unknown());
