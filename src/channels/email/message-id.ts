import { ThreadId } from "../../core";

/**
 * Outbound Message-IDs encode their thread: `<{threadId}.{n}.{random}@{domain}>`. A reply
 * quoting one in In-Reply-To/References names its thread, but that is only a claim: the
 * thread must also have logged sending exactly that id, so a forged id routes nowhere.
 */
export function outboundMessageId(threadId: string, n: number, random: string, domain: string): string {
  return `<${threadId}.${n}.${random}@${domain}>`;
}

/** The thread an outbound-shaped Message-ID claims to come from, if it has our shape and domain. */
export function threadOfMessageId(messageId: string, domain: string): ThreadId | undefined {
  const match = /^<([A-Za-z0-9_-]{1,64})\.\d{1,9}\.[a-z0-9]{8,64}@([^<>@\s]+)>$/.exec(messageId);
  if (!match || match[2]?.toLowerCase() !== domain.toLowerCase()) return undefined;
  const parsed = ThreadId.safeParse(match[1]);
  return parsed.success ? parsed.data : undefined;
}
