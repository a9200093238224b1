import { ThreadId } from "../../core";
import { sha256Hex } from "../../hmac";

// Addresses and Message-IDs, as plain functions of strings (no I/O, no clock).

/** `<agent>[+<tag>]@<domain>`, lowercased where mail infrastructure may lowercase it. */
export type Recipient = { readonly agent: string; readonly tag?: string; readonly domain: string };

/** Splits a recipient address; undefined when it is not an address at all. */
export function parseRecipient(address: string): Recipient | undefined {
  const match = /^\s*<?([^@<>\s]+)@([^@<>\s]+?)>?\s*$/.exec(address);
  if (!match) return undefined;
  const [, local = "", domain = ""] = match;
  const plus = local.indexOf("+");
  // The agent name is matched case-insensitively; the tag (a thread id) keeps its case.
  const agent = (plus < 0 ? local : local.slice(0, plus)).toLowerCase();
  const tag = plus < 0 ? undefined : local.slice(plus + 1);
  return { agent, domain: domain.toLowerCase(), ...(tag ? { tag } : {}) };
}

/** The bare, lowercased address (`Alice <Alice@Example.com>` -> `alice@example.com`). */
export function bareAddress(address: string): string {
  const angle = /<([^<>]*)>/.exec(address);
  return (angle?.[1] ?? address).trim().toLowerCase();
}

/**
 * Parses an allowlist: comma or whitespace separated entries, each a full address
 * (`alice@example.com`) or a whole domain (`@example.com`, no subdomains).
 */
export function parseAllowlist(value: string | readonly string[] | undefined): string[] {
  const entries = typeof value === "string" ? value.split(/[\s,]+/) : (value ?? []);
  return entries.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0);
}

/** Default deny: an empty allowlist allows nobody. */
export function isAllowed(sender: string, allowlist: readonly string[]): boolean {
  const address = bareAddress(sender);
  const at = address.lastIndexOf("@");
  if (at <= 0) return false;
  const domain = address.slice(at);
  return allowlist.some((entry) => (entry.startsWith("@") ? entry === domain : entry === address));
}

/** Every `<id>` in a Message-ID list header (In-Reply-To, References), in order. */
export function messageIds(header: string | undefined): string[] {
  if (!header) return [];
  return [...header.matchAll(/<[^<>\s]{1,900}>/g)].map((m) => m[0]);
}

/** A new mail's thread: derived from its Message-ID, so a duplicate delivery finds the same thread. */
export async function threadIdForMessage(agent: string, messageId: string): Promise<ThreadId> {
  return ThreadId.parse(`e_${(await sha256Hex(`${agent}\n${messageId}`)).slice(0, 32)}`);
}

/** The idempotency key of an inbound mail (Message-IDs can be longer than a key may be). */
export async function emailKey(messageId: string): Promise<string> {
  return `email:${(await sha256Hex(messageId)).slice(0, 40)}`;
}
