import { z } from "zod";
import type { AgentRegistry } from "../../agents";
import type { EventSource, JsonObject } from "../../core";

// What one webhook source (GitHub, Slack, ...) provides: where its secret lives, how its
// signature is checked, and how a verified payload maps to a thread action.

export type Verification =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: "missing_signature" | "bad_signature" | "stale_timestamp"; readonly message: string };

/** A verified delivery: the raw bytes as received, the headers, and the clock (ms). */
export type Delivery = { readonly headers: Headers; readonly body: Uint8Array<ArrayBuffer>; readonly now: number };

export type WebhookAction =
  /** Start a thread of `agent`; the thread id comes from the delivery id, so a redelivery finds it. */
  | { readonly kind: "launch"; readonly agent: string; readonly message: string; readonly metadata?: JsonObject }
  /** A user message to an existing thread, keyed by the delivery id. */
  | { readonly kind: "message"; readonly threadId: string; readonly text: string }
  /** Answered at once, nothing appended (Slack's url_verification challenge). */
  | { readonly kind: "reply"; readonly body: JsonObject }
  /** Valid and signed, but nothing to do (a ping, a successful CI run, a bot's own message). */
  | { readonly kind: "ignore"; readonly reason: string }
  /** Work the source does itself, keyed by the delivery id (a Slack thread reply: find its thread, answer or message it). */
  | { readonly kind: "run"; readonly run: (env: Env, key: string, source: EventSource) => Promise<{ status: 200 | 201 | 202; body: JsonObject }> };

export type Mapped = {
  /** The sender's unique id for this delivery: the idempotency key. Not needed for reply/ignore. */
  readonly deliveryId?: string;
  readonly action: WebhookAction;
  /** Recorded on the event's source for audit (event type, repository, ...). */
  readonly detail?: JsonObject;
};

export type WebhookSource = {
  readonly name: string;
  /** The agents this source may launch: checked against the registry at setup. */
  readonly agents: readonly string[];
  readonly secret: (env: Env) => string | undefined;
  readonly verify: (delivery: Delivery, secret: string) => Promise<Verification>;
  /** Maps the parsed JSON payload; throws a ZodError when it has the wrong shape. */
  readonly map: (payload: unknown, headers: Headers, env: Env) => Mapped;
  /** "body": duplicates are keyed on a hash of the signed body, not the sender's (unsigned) delivery id. */
  readonly replayKey?: "body";
};

export type WebhookSources = ReadonlyMap<string, WebhookSource>;

/** Checks sources at setup: duplicate names and unknown agents throw when the Worker loads. */
export function webhookSources(agents: AgentRegistry, sources: readonly WebhookSource[]): WebhookSources {
  const map = new Map<string, WebhookSource>();
  for (const source of sources) {
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(source.name)) throw new Error(`webhook source "${source.name}": invalid name`);
    if (map.has(source.name)) throw new Error(`webhook source "${source.name}" is defined twice`);
    for (const agent of source.agents) {
      if (!agents.has(agent)) throw new Error(`webhook source "${source.name}": unknown agent "${agent}"`);
    }
    map.set(source.name, source);
  }
  return map;
}

/** Delivery ids become thread ids (`<source>-<id>`) and idempotency keys, so they must be id-safe. */
export const DeliveryId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,55}$/, "1-56 letters, digits, '_' or '-'");

/** `thread:<id>` anywhere in a text addresses that thread; the rest of the text is the message. */
export function threadReference(text: string): { threadId: string; text: string } | undefined {
  const match = /(?:^|\s)thread:([A-Za-z0-9][A-Za-z0-9_-]{0,63})(?=\s|$)/.exec(text);
  if (!match?.[1]) return undefined;
  const rest = (text.slice(0, match.index) + " " + text.slice(match.index + match[0].length)).replace(/\s+/g, " ").trim();
  return { threadId: match[1], text: rest || text.trim() };
}

/** Message text is bounded like the HTTP API's; a long comment is cut, not refused. */
export const MAX_WEBHOOK_TEXT = 32_000;
export const clip = (text: string) => (text.length > MAX_WEBHOOK_TEXT ? `${text.slice(0, MAX_WEBHOOK_TEXT - 20)}\n[...truncated]` : text);
