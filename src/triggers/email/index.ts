import type { AgentDefinition, AgentRegistry } from "../../agents";
import { threadOfMessageId } from "../../channels/email/message-id";
import { ThreadId, type EventSource } from "../../core";
import { EMAIL_CHANNEL } from "../../channels/email/send";
import { threadStub } from "../../runtime/thread-stub";
import { bareAddress, emailKey, isAllowed, parseAllowlist, parseRecipient, threadIdForMessage } from "./address";
import { authMode, authservIdOf, checkAuthentication } from "./authentication";
import { splitReplyTag } from "../../channels/email/reply-address";
import { automatedReason, launchMessage, parseMail, replyText, type InboundMail } from "./parse";
import { redactEmails } from "../../log";
import { answerRefusal, type Answerable } from "./answer-refusal";
import { setting } from "../../settings";

/** At most this many In-Reply-To/References ids are checked against threads (each is one RPC). */
const MAX_ROUTING_CANDIDATES = 5;

/** What happened to one inbound mail; logged as one JSON line, never thrown. */
export type EmailOutcome =
  /** `answerable`: the sender was authenticated, so the refusal may be answered with a reply of ours. */
  | { readonly action: "rejected"; readonly reason: string; readonly answerable?: Answerable }
  | { readonly action: "ignored"; readonly reason: string }
  | { readonly action: "launched" | "duplicate_launch"; readonly threadId: string }
  | { readonly action: "replied"; readonly threadId: string; readonly outcome: string; readonly routedBy: "plus_address" | "in_reply_to" };

/**
 * The Worker's `email()` handler (Factor 11): mail to `<agent>@EMAIL_DOMAIN` launches a
 * thread, mail to `<agent>+<threadId>@EMAIL_DOMAIN` (or replying to a mail a thread sent)
 * feeds that thread. Refused mail from an authenticated sender gets a reply that says why;
 * any other refused mail gets `setReject(reason)` (see answer-refusal.ts); auto-replies and
 * bounces are dropped without an answer. Nothing a sender does can crash the handler.
 */
export function emailHandler(agents: AgentRegistry): EmailExportedHandler<Env> {
  return async (message, env) => {
    let outcome: EmailOutcome;
    try {
      outcome = await receive(message, env, agents);
    } catch (error) {
      // Storage or programming errors only. Rejecting tells the sender the mail did not land.
      console.error("email handler failed", error);
      outcome = { action: "rejected", reason: "Temporary failure processing this message; please send it again later." };
    }
    let logged: Record<string, unknown> = outcome;
    if (outcome.action === "rejected") {
      const { answerable, ...rejected } = outcome;
      const answer = await answerRefusal(message, outcome.reason, answerable, new Date());
      logged = { ...rejected, answeredBy: answer.by, ...(answer.by === "bounce" ? { notRepliedBecause: answer.why } : {}) };
    }
    // One line per mail, `{"email": {...}}` (Workers Logs indexes email.action, email.threadId).
    // Addresses are personal data: redactEmails keeps only their first letter and domain.
    console.log(redactEmails(JSON.stringify({ email: { from: message.from, to: message.to, ...logged } })));
  };
}

async function receive(message: ForwardableEmailMessage, env: Env, agents: AgentRegistry): Promise<EmailOutcome> {
  const domain = env.EMAIL_DOMAIN?.toLowerCase();
  if (!domain) return reject("Email is not enabled for this service (EMAIL_DOMAIN is not set).");
  const recipient = parseRecipient(message.to);
  if (!recipient || recipient.domain !== domain) return reject(`No mailbox ${message.to} here.`);
  const agent = agents.get(recipient.agent);
  if (!agent) return reject(`No agent named "${recipient.agent.slice(0, 40)}" at ${domain}.`);
  // Loops first: an auto-reply or bounce gets no answer at all, not even a rejection.
  const automated = automatedReason(message.from, message.headers);
  if (automated) return { action: "ignored", reason: automated };
  const maxBytes = setting(env, "MAX_EMAIL_BYTES");
  if (message.rawSize > maxBytes) return reject(`Message too large: ${message.rawSize} bytes; the limit is ${maxBytes}.`);
  const allowlist = [...parseAllowlist(env.EMAIL_ALLOWED_SENDERS), ...parseAllowlist(agent.email?.allowedSenders)];
  if (!isAllowed(message.from, allowlist)) return reject(`Sender ${message.from} may not email ${agent.name}.`);

  const raw = new Uint8Array(await new Response(message.raw).arrayBuffer());
  if (raw.byteLength > maxBytes) return reject(`Message too large: ${raw.byteLength} bytes; the limit is ${maxBytes}.`);
  // A mail the parser refuses (MIME nested past its limit, headers over 2 MB) will never
  // parse: a clear permanent refusal, not the catch-all "temporary failure" below.
  let mail: InboundMail;
  try {
    mail = await parseMail(raw, message.from);
  } catch (error) {
    return reject(`This message could not be read: ${(error instanceof Error ? error.message : String(error)).slice(0, 200)}.`);
  }
  // The header From must be allowed too: an allowed envelope must not carry someone else's name.
  if (mail.from && !isAllowed(mail.from, allowlist)) return reject(`Sender ${mail.from} may not email ${agent.name}.`);
  // Both launching and answering need the receiving service's DMARC pass for the From domain (invariant 10).
  const verdict = checkAuthentication(mail, authMode(env.EMAIL_AUTH), authservIdOf(env.EMAIL_AUTHSERV_ID));
  if (!verdict.ok) return reject(`Refused: this mail is not authenticated as ${mail.from ?? message.from} (${verdict.reason}). Nothing was done.`);
  const sender = bareAddress(mail.from ?? message.from);
  const verifiedBy = verdict.how === "dmarc" ? "dmarc" : "email_auth_off";
  // From here on a refusal may be answered with a reply of ours, but only to a sender the
  // receiving service authenticated (never with EMAIL_AUTH=off: that From may be forged).
  const answerable: Answerable | undefined = verdict.how === "dmarc" ? { agent: agent.name, domain, to: sender, subject: mail.subject } : undefined;
  const refuse = (reason: string): EmailOutcome => ({ action: "rejected", reason, ...(answerable ? { answerable } : {}) });
  const source: EventSource = {
    kind: "email",
    detail: { from: sender, to: message.to, messageId: mail.messageId, subject: mail.subject },
  };

  if (recipient.tag !== undefined) {
    const tag = splitReplyTag(recipient.tag);
    const threadId = ThreadId.safeParse(tag.threadId);
    if (!threadId.success || !(await belongsTo(env, threadId.data, agent))) return refuse(`No thread ${recipient.tag.slice(0, 64)} for ${agent.name}.`);
    return reply(env, threadId.data, mail, { sender, verifiedBy, ...(tag.mac !== undefined ? { mac: tag.mac } : {}) }, source, "plus_address", refuse);
  }
  const routed = await routeByReferences(env, mail, domain, agent);
  if (routed) return reply(env, routed, mail, { sender, verifiedBy }, source, "in_reply_to", refuse);

  const threadId = await threadIdForMessage(agent.name, mail.messageId);
  const launched = await threadStub(env, threadId).launch(
    { threadId, agent: agent.name, message: launchMessage(sender, mail), replyChannels: [EMAIL_CHANNEL], by: { kind: "email", id: sender, verifiedBy } },
    source,
  );
  if (!launched.ok) return refuse(launched.rejection.message);
  return { action: launched.value.created ? "launched" : "duplicate_launch", threadId };
}

/**
 * A reply without the plus address. Candidate threads come from the ids it quotes: our
 * outbound ids encode their thread, and the mail that started a thread names it (its id
 * is derived from that Message-ID, usually first in References). Either is only a claim:
 * the reply is routed only to a thread that logged sending one of the quoted ids.
 */
async function routeByReferences(env: Env, mail: InboundMail, domain: string, agent: AgentDefinition): Promise<ThreadId | undefined> {
  // The direct parent first, then References newest first.
  const ids = [...new Set([...mail.inReplyTo, ...[...mail.references].reverse()])];
  const candidates = new Set<ThreadId>(ids.flatMap((id) => threadOfMessageId(id, domain) ?? []));
  // The root of the conversation (first in References) and the direct parent may be the mail that started a thread.
  for (const root of [mail.references[0], mail.inReplyTo[0]]) if (root) candidates.add(await threadIdForMessage(agent.name, root));
  for (const threadId of [...candidates].slice(0, MAX_ROUTING_CANDIDATES)) {
    if ((await threadStub(env, threadId).sentEmail(ids)) && (await belongsTo(env, threadId, agent))) return threadId;
  }
  return undefined;
}

async function belongsTo(env: Env, threadId: ThreadId, agent: AgentDefinition): Promise<boolean> {
  const thread = await threadStub(env, threadId).thread();
  return thread?.agent === agent.name;
}

async function reply(
  env: Env,
  threadId: ThreadId,
  mail: InboundMail,
  from: { readonly sender: string; readonly verifiedBy: string; readonly mac?: string },
  source: EventSource,
  routedBy: "plus_address" | "in_reply_to",
  refuse: (reason: string) => EmailOutcome,
): Promise<EmailOutcome> {
  const text = replyText(mail);
  // An empty reply is refused with a reason, not dropped: the sender learns nothing was done.
  if (!text) return refuse("Your reply was empty (nothing left after removing quoted history); nothing was done.");
  const result = await threadStub(env, threadId).emailReply(
    { key: await emailKey(mail.messageId), text, repliesTo: [...mail.inReplyTo, ...mail.references], ...from },
    source,
  );
  if (!result.ok) return refuse(result.rejection.message);
  return { action: "replied", threadId, outcome: result.value.outcome, routedBy };
}

function reject(reason: string): EmailOutcome {
  return { action: "rejected", reason };
}
