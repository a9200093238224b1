import { z } from "zod";
import { CallId, Timestamp } from "./ids";
import { JsonObject } from "./json";

// Invariant 12: what the model was offered is in the log. Tools from MCP servers are listed
// into the log on a thread's first step (`mcp_tools_listed`, one event per server); the thread
// keeps that list for its whole life, so replay, fork and evals see exactly what the model saw.
// A server that cannot be reached is tried again by the thread's one wake-up (`retryAt` in the
// event), then recorded as listed with an error and no tools.

/** Most tools kept from one server (the rest are left out of the list, with a note in its error). */
export const MAX_TOOLS_PER_SERVER = 128;

/** The MCP spec's tool annotations (hints from the server; our policy reads them, code may override). */
export const McpAnnotations = z.object({
  title: z.string().max(200).optional(),
  readOnlyHint: z.boolean().optional(),
  destructiveHint: z.boolean().optional(),
  idempotentHint: z.boolean().optional(),
  openWorldHint: z.boolean().optional(),
});
export type McpAnnotations = z.infer<typeof McpAnnotations>;

/** Server and tool names join into one OpenAI function name: `<server>_<tool>`, at most 64 characters. */
export const McpServerName = z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, "1-20 lowercase letters, digits or '-', starting with a letter");

/** One tool as the model was offered it: everything a replay, a fork or an eval needs. */
export const McpToolEntry = z.object({
  /** The name the model calls: `<server>_<tool>`. */
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
  server: McpServerName,
  /** The tool's name on its server. */
  remote: z.string().min(1).max(128),
  description: z.string().max(2048),
  inputSchema: JsonObject,
  /** SHA-256 of the canonical JSON of `inputSchema`: compares lists without reading schemas. */
  schemaHash: z.string().max(100),
  annotations: McpAnnotations.optional(),
});
export type McpToolEntry = z.infer<typeof McpToolEntry>;

export const McpToolsListed = z.object({
  server: McpServerName,
  tools: z.array(McpToolEntry).max(MAX_TOOLS_PER_SERVER),
  /** Why the list is empty: the server rejected the token, or stayed unreachable. Shown to the model. */
  error: z.string().max(600).optional(),
});

export const McpListFailed = z.object({
  server: McpServerName,
  attempt: z.number().int().positive(),
  message: z.string().max(600),
  /** When the wake-up lists again. */
  retryAt: Timestamp,
});

/**
 * A call whose server could not be reached (the request never left: connection refused, DNS):
 * it is tried again at `retryAt` by the wake-up. Safe for any tool, idempotent or not, because
 * nothing reached the server; a failure after the request left is a `tool_failed` instead.
 */
export const ToolRetryScheduled = z.object({
  callId: CallId,
  tool: z.string(),
  attempt: z.number().int().positive(),
  message: z.string().max(600),
  retryAt: Timestamp,
});

/** What the thread state keeps of its MCP tools: the pinned list and a listing's pending retry. */
export type McpState = {
  /** Servers listed so far (with or without tools). */
  readonly listed: readonly string[];
  readonly tools: readonly McpToolEntry[];
  readonly retry?: { readonly server: string; readonly attempt: number; readonly retryAt: Timestamp };
};

/** The model's name for a server's tool; undefined when it cannot be a valid function name. */
export function mcpToolName(server: string, tool: string): string | undefined {
  const name = `${server}_${tool}`;
  return /^[a-zA-Z0-9_-]{1,64}$/.test(name) ? name : undefined;
}

/** Unreachable servers are tried this many times in all, waiting these delays in between. */
export const REMOTE_RETRY_DELAYS_MS = [1_000, 2_000, 4_000] as const;

/** The wait before attempt `failed + 1`, or undefined once the attempts are used up. */
export function remoteRetryDelayMs(failedAttempts: number): number | undefined {
  return REMOTE_RETRY_DELAYS_MS[failedAttempts - 1];
}

/** Policy from annotations (the spec's defaults: an unannotated tool may be destructive). */
export function annotationPolicy(annotations: McpAnnotations | undefined): { readonly requiresApproval: boolean; readonly idempotent: boolean } {
  const readOnly = annotations?.readOnlyHint === true;
  return { requiresApproval: !readOnly, idempotent: readOnly || annotations?.idempotentHint === true };
}
