import type { AgentRegistry } from "../agents";
import type { SendEmail } from "../channels/email/send";
import type {
  CallId,
  ClosedRequest,
  Event,
  EventSource,
  HumanAnswer,
  JsonObject,
  ModelInput,
  Principal,
  Rejection,
  ThreadId,
  ThreadView,
  TimeoutPolicy,
} from "../core";

// The thread's contract: what a thread Durable Object answers over RPC, and what it is
// built from. Triggers, the console and evals depend on this file, never on the class
// (src/runtime/thread/thread-object.ts implements ThreadRpc); the stub (thread-stub.ts)
// is typed by it.

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rejection: Rejection };

/** What a command (message, response, pause, resume, cancel) answers with. */
export type CommandResult = { readonly thread: ThreadView; readonly event: Event; readonly duplicate: boolean };

/** What `stream()` answers: no such thread, an ended thread with nothing past the cursor, or the live SSE bytes. */
export type StreamOpened = { readonly kind: "not_found" } | { readonly kind: "ended" } | { readonly kind: "open"; readonly body: ReadableStream<Uint8Array> };

/** What the runtime is built from; passed in, never read from ambient globals. */
export type RuntimeDeps = {
  readonly agents: AgentRegistry;
  /** Outbound HTTP for the model and for tools. Tests pass a scripted OpenAI-compatible server. */
  readonly fetch?: typeof fetch;
  /** The clock, in epoch ms. */
  readonly now?: () => number;
  /** Outbound email; defaults to the `EMAIL` send_email binding. Tests capture mail instead. */
  readonly sendEmail?: SendEmail;
};

export type LaunchInput = {
  readonly threadId: ThreadId;
  readonly agent: string;
  readonly message: string;
  readonly metadata?: JsonObject;
  readonly humanTimeoutSeconds?: number;
  /** Overrides the timeout policy of every human request of this thread. */
  readonly onHumanTimeout?: TimeoutPolicy;
  /** Set when another thread delegated this one (Factor 10). */
  readonly parent?: { readonly threadId: ThreadId; readonly callId: CallId };
  readonly depth?: number;
  /** Pin a prompt variant; otherwise a weighted choice from the thread id (Factor 2). */
  readonly variant?: string;
  /** Channels that carry requests and the outcome back to whoever started the thread (e.g. "email"). */
  readonly replyChannels?: readonly string[];
  /** Who launched it (the requester a policy may forbid to approve its own calls); absent for cron, webhooks and delegation. */
  readonly by?: Principal;
};

/** How a live stream behaves (GET /v1/threads/{id}/stream, stream-hub.ts). */
export type StreamOptions = {
  /** Send a comment line this often so proxies keep an idle connection open. */
  readonly heartbeatMs: number;
  /** End the response after this long; EventSource reconnects with Last-Event-ID. */
  readonly maxMs: number;
};

export type Launched = { readonly created: boolean; readonly thread: ThreadView };

/** A fork's input (see fork.ts for the checks). */
export type ForkInput = {
  /** The new thread. */
  readonly threadId: ThreadId;
  /** The original thread and the last of its events to copy. */
  readonly from: ThreadId;
  readonly atSeq: number;
  /** Events 1..atSeq of the original, as its log holds them. */
  readonly events: readonly Event[];
  readonly variant?: string;
  readonly model?: string;
};

/** A human's email to an existing thread, as the email trigger hands it over. */
export type EmailReply = {
  /** Idempotency key derived from the Message-ID: a duplicate delivery appends nothing. */
  readonly key: string;
  /** The cleaned text (quoted history and signature removed). */
  readonly text: string;
  /** In-Reply-To and References: which of our mails it answers. */
  readonly repliesTo: readonly string[];
  /** The authenticated sender (lowercased) and how it was authenticated ("dmarc", or "email_auth_off" in local dev). */
  readonly sender: string;
  readonly verifiedBy: string;
  /** The mac of the signed per-request reply address it was sent to; absent for the bare plus address or a reply routed by In-Reply-To. */
  readonly mac?: string;
};

export type EmailReplyOutcome = "approved" | "rejected" | "answered" | "messaged" | "unclear_kept_as_message" | "duplicate";

/**
 * The RPC surface of a thread object. Every method returns plain JSON data (or a stream),
 * which structured clone carries unchanged.
 */
export interface ThreadRpc {
  // Commands: each validated by the pure core before anything is appended.
  launch(input: LaunchInput, source?: EventSource): Promise<Result<Launched>>;
  message(text: string, key?: string, source?: EventSource): Promise<Result<CommandResult>>;
  respond(answer: HumanAnswer, key?: string, source?: EventSource): Promise<Result<CommandResult>>;
  pause(reason?: string): Promise<Result<CommandResult>>;
  resume(): Promise<Result<CommandResult>>;
  cancel(reason?: string): Promise<Result<CommandResult>>;
  erase(): Promise<Result<{ erased: true }>>;
  adoptFork(input: ForkInput, source?: EventSource): Promise<Result<Launched>>;
  /** A child thread reports its end (Factor 10). */
  childReported(report: unknown): Promise<Result<{ accepted: boolean; duplicate: boolean }>>;
  /** A human's email reply (src/triggers/email). */
  emailReply(reply: EmailReply, source: EventSource): Promise<Result<{ readonly outcome: EmailReplyOutcome; readonly thread?: ThreadView }>>;
  // Queries.
  thread(viewer?: Principal): Promise<ThreadView | null>;
  events(after: number, limit: number): Promise<{ events: Event[]; next?: number }>;
  stream(after: number, options: StreamOptions): Promise<StreamOpened>;
  requestHistory(requestId: string): Promise<ClosedRequest | null>;
  context(): Promise<Result<ModelInput>>;
  sentEmail(messageIds: readonly string[]): Promise<boolean>;
  /** Resolves once the step loop has nothing left to do. */
  idle(): Promise<ThreadView | null>;
}
