import { z } from "zod";
import { DecisionWord, JsonObject, RequestId, ThreadId, TimeoutPolicy } from "../../core";

// Request bodies are strict: a misspelled field is a 400, not silently ignored.

export const MAX_MESSAGE_CHARS = 32_000;
export const MAX_HUMAN_TIMEOUT_SECONDS = 90 * 24 * 60 * 60;

export const LaunchBody = z.strictObject({
  message: z.string().min(1).max(MAX_MESSAGE_CHARS),
  threadId: ThreadId.optional(),
  metadata: JsonObject.optional(),
  humanTimeoutSeconds: z.number().int().min(1).max(MAX_HUMAN_TIMEOUT_SECONDS).optional(),
  /** What an unanswered human request does at its deadline, for every request of this thread. */
  onHumanTimeout: TimeoutPolicy.optional(),
  /** Pin a prompt variant (Factor 2); unknown -> 400 unknown_variant. */
  variant: z.string().min(1).max(40).optional(),
});

export const MessageBody = z.strictObject({ text: z.string().min(1).max(MAX_MESSAGE_CHARS) });

export const ResponseBody = z.strictObject({
  requestId: RequestId,
  /** approve, reject, or edit (approve `args` instead); `approved` is the shorthand of approve/reject. */
  decision: DecisionWord.optional(),
  /** decision "edit": the fields to change (the tool's `editable` ones), over the held arguments. */
  args: JsonObject.optional(),
  approved: z.boolean().optional(),
  comment: z.string().max(MAX_MESSAGE_CHARS).optional(),
  answer: z.string().min(1).max(MAX_MESSAGE_CHARS).optional(),
});

export const ReasonBody = z.strictObject({ reason: z.string().max(1000).optional() });

/** POST /v1/threads/{id}/fork: a new thread from events 1..atSeq of this one. */
export const ForkBody = z.strictObject({
  atSeq: z.number().int().min(1),
  threadId: ThreadId.optional(),
  variant: z.string().min(1).max(40).optional(),
  model: z.string().regex(/^[\x21-\x7e]{1,200}$/, "1-200 printable ASCII characters").optional(),
});

export const ThreadStatusFilter = z.enum(["running", "waiting_for_human", "paused", "done", "failed", "cancelled", "waiting_for_agent"]);

export const ListQuery = z.strictObject({
  agent: z.string().max(40).optional(),
  status: ThreadStatusFilter.optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const EventsQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** Idempotency keys: printable ASCII, as Stripe and the IETF draft allow. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/, "1-200 printable ASCII characters");

export const Cursor = z.object({ createdAt: z.string(), id: z.string() });

export function encodeCursor(cursor: z.infer<typeof Cursor>): string {
  return encodeToken(cursor);
}

export function decodeCursor(text: string): z.infer<typeof Cursor> | undefined {
  return decodeToken(text, Cursor);
}

/** An opaque cursor: base64url of the position's JSON. */
export function encodeToken(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The position back, or undefined for anything this API did not issue. */
export function decodeToken<S extends z.ZodType>(text: string, schema: S): z.infer<S> | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(atob(text.replace(/-/g, "+").replace(/_/g, "/"))));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export { ThreadId };

/** GET /v1/agents/{agent}/usage: a window over thread creation times, ISO-8601 instants, `from` inclusive, `to` exclusive. */
const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());
export const UsageQuery = z.object({ from: Instant.optional(), to: Instant.optional() }).strict();
