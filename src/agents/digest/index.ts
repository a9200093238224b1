import { z } from "zod";
import template from "../../../prompts/digest.md";
import type { JsonObject } from "../../core";
import { defineAgent, defineTool, doneForNow } from "../define";
import { sendWithBinding, type SendEmail } from "../../channels/email/send";
import { composeMail } from "./mail";
import { formatWaiting, toJson, waitingThreads } from "./waiting";

const Address = z.email();

/**
 * The digest agent, cron-driven (src/triggers/cron-jobs.ts): it lists the threads waiting
 * for a human and mails them to OPERATOR_EMAIL, so nothing waits unnoticed. The model
 * writes the summary; the send tool re-reads the index and appends the exact list itself,
 * so the mail never names a thread wrongly or misses one. `send` and `now` are injectable
 * for tests; production sends through the EMAIL binding.
 */
export function digestAgent(options: { send?: SendEmail; now?: () => number } = {}) {
  const send = options.send ?? sendWithBinding;
  const now = options.now ?? (() => Date.now());

  return defineAgent({
    name: "digest",
    description: "Mails an operator a digest of the agent threads that are waiting for a human.",
    prompt: { file: "prompts/digest.md", template },
    tools: [
      defineTool({
        name: "list_waiting_threads",
        description: "List the threads waiting for a human, oldest first, with how long they have waited and what they ask.",
        input: z.object({}),
        idempotent: true, // reads only
        run: async (_args, ctx) => toJson(await waitingThreads(ctx.threads, now())),
      }),
      defineTool({
        name: "send_digest_email",
        description:
          "Email the digest to the operator. Write a short summary (priorities, oldest waits); the exact list of waiting threads is appended for you. Reports sent: false, and why, when nothing was sent.",
        input: z.object({
          subject: z.string().min(1).max(200),
          summary: z.string().min(1).max(20_000),
        }),
        // Mail cannot be unsent: after a crash mid-send the runtime reports outcome_unknown instead of mailing twice.
        idempotent: false,
        timeoutMs: 30_000,
        run: async ({ subject, summary }, ctx): Promise<JsonObject> => {
          const to = ctx.env.OPERATOR_EMAIL?.trim() ?? "";
          if (!to) return { sent: false, reason: "OPERATOR_EMAIL is not set; nothing was sent." };
          const domain = ctx.env.EMAIL_DOMAIN?.trim() ?? "";
          if (!domain) return { sent: false, reason: "EMAIL_DOMAIN is not set, so there is no sender address; nothing was sent." };
          if (!Address.safeParse(to).success) throw new Error(`OPERATOR_EMAIL "${to.slice(0, 100)}" is not an email address.`);
          const waiting = await waitingThreads(ctx.threads, now());
          if (waiting.threads.length === 0) return { sent: false, reason: "No thread is waiting for a human any more; nothing was sent." };
          const text = `${summary.trim()}\n\nThreads waiting for a human (${waiting.threads.length}):\n\n${formatWaiting(waiting)}\n`;
          const mail = composeMail({ from: { name: "Agent digest", addr: `digest@${domain}` }, to, subject, text, threadId: ctx.threadId, domain });
          await send(ctx.env, mail);
          return { sent: true, to, threads: waiting.threads.map((t) => t.id) };
        },
      }),
      doneForNow,
    ],
  });
}

export const digest = digestAgent();
