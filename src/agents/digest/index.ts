import { z } from "zod";
import template from "../../../prompts/digest.md";
import { ThreadId, type JsonObject } from "../../core";
import { listThreads } from "../../runtime/thread-index";
import { threadStub } from "../../runtime/thread-stub";
import { defineAgent, defineTool, doneForNow } from "../define";
import { bindingSender, composeMail, type MailSender } from "./mail";

/** Enough for a daily mail; the tool says when there are more. */
const MAX_LISTED = 50;

const Address = z.email();

/**
 * The digest agent: cron-driven (see src/triggers/cron-jobs.ts). It lists the threads
 * waiting for a human and mails the list to OPERATOR_EMAIL, so nothing waits unnoticed.
 * `send` and `now` are injectable for tests; production sends through the EMAIL binding.
 */
export function digestAgent(options: { send?: MailSender; now?: () => number } = {}) {
  const send = options.send ?? bindingSender;
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
        run: async (_args, ctx) => {
          const page = await listThreads(ctx.env, { status: "waiting_for_human", limit: MAX_LISTED });
          const threads = await Promise.all(
            page.threads.map(async (summary): Promise<JsonObject> => {
              const view = await threadStub(ctx.env, ThreadId.parse(summary.id)).thread();
              const pending = view?.pending;
              // The index records the status change, so its updatedAt is when the wait began.
              const waitingMinutes = Math.max(0, Math.floor((now() - Date.parse(summary.updatedAt)) / 60_000));
              return {
                id: summary.id,
                agent: summary.agent,
                waitingSince: summary.updatedAt,
                waitingMinutes,
                ...(pending
                  ? {
                      pending: {
                        kind: pending.kind,
                        message: pending.message,
                        deadline: pending.deadline,
                        ...(pending.tool ? { tool: { name: pending.tool.name, args: pending.tool.args } } : {}),
                      },
                    }
                  : {}),
              };
            }),
          );
          threads.sort((a, b) => String(a["waitingSince"]).localeCompare(String(b["waitingSince"])));
          return { count: threads.length, threads, more: page.next !== undefined };
        },
      }),
      defineTool({
        name: "send_digest_email",
        description: "Email the digest to the operator (OPERATOR_EMAIL). Reports sent: false, and why, when no operator is configured.",
        input: z.object({
          subject: z.string().min(1).max(200),
          body: z.string().min(1).max(50_000),
        }),
        // Mail cannot be unsent: after a crash mid-send the runtime reports outcome_unknown instead of mailing twice.
        idempotent: false,
        timeoutMs: 30_000,
        run: async ({ subject, body }, ctx): Promise<JsonObject> => {
          const to = ctx.env.OPERATOR_EMAIL?.trim() ?? "";
          if (!to) return { sent: false, reason: "OPERATOR_EMAIL is not set; nothing was sent." };
          const domain = ctx.env.EMAIL_DOMAIN?.trim() ?? "";
          if (!domain) return { sent: false, reason: "EMAIL_DOMAIN is not set, so there is no sender address; nothing was sent." };
          if (!Address.safeParse(to).success) throw new Error(`OPERATOR_EMAIL "${to.slice(0, 100)}" is not an email address.`);
          const mail = composeMail({ from: { name: "Agent digest", addr: `digest@${domain}` }, to, subject, text: body });
          await send(mail, ctx.env);
          return { sent: true, to };
        },
      }),
      doneForNow,
    ],
  });
}

export const digest = digestAgent();
