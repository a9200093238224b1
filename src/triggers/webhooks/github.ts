import { z } from "zod";
import { ApiError } from "../http/errors";
import { verifyHmacSha256 } from "../../hmac";
import { clip, DeliveryId, threadReference, type Delivery, type Mapped, type Verification, type WebhookSource } from "./source";

// GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`, delivery id
// in `X-GitHub-Delivery`, event name in `X-GitHub-Event`. GitHub signs no timestamp, so
// replays are stopped by the delivery id, which names the thread or keys the message.

export async function verifyGitHub(delivery: Pick<Delivery, "headers" | "body">, secret: string): Promise<Verification> {
  const header = delivery.headers.get("x-hub-signature-256");
  if (!header) return { ok: false, code: "missing_signature", message: "X-Hub-Signature-256 is missing." };
  const hex = header.startsWith("sha256=") ? header.slice("sha256=".length) : "";
  if (!(await verifyHmacSha256(secret, delivery.body, hex))) {
    return { ok: false, code: "bad_signature", message: "X-Hub-Signature-256 does not match the body." };
  }
  return { ok: true };
}

const Repository = z.object({ full_name: z.string() });

const WorkflowRun = z.object({
  action: z.string(),
  workflow_run: z.object({
    id: z.number(),
    name: z.string().nullable(),
    conclusion: z.string().nullable(),
    head_branch: z.string().nullable(),
    head_sha: z.string(),
    html_url: z.string(),
  }),
  repository: Repository,
});

const IssueComment = z.object({
  action: z.string(),
  comment: z.object({
    body: z.string(),
    user: z.object({ login: z.string(), type: z.string().optional() }),
    /** OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIMER, FIRST_TIME_CONTRIBUTOR, MANNEQUIN, NONE. */
    author_association: z.string().optional(),
  }),
  issue: z.object({ number: z.number(), html_url: z.string() }),
  repository: Repository,
});

/**
 * `workflow_run` completed with `failure` -> launch `onWorkflowFailure` (deploybot) to
 * investigate; an `issue_comment` containing `thread:<id>` -> a message to that thread.
 * Everything else is acknowledged and ignored.
 */
/** Who may steer a thread from a comment unless GITHUB_TRUSTED_ASSOCIATIONS says otherwise. */
export const DEFAULT_TRUSTED_ASSOCIATIONS = ["OWNER", "MEMBER", "COLLABORATOR"];

export function trustedAssociations(value: string | undefined): string[] {
  const list = (value ?? "").split(/[\s,]+/).map((v) => v.trim().toUpperCase()).filter(Boolean);
  return list.length > 0 ? list : DEFAULT_TRUSTED_ASSOCIATIONS;
}

export function github(options: { onWorkflowFailure: string }): WebhookSource {
  return {
    name: "github",
    // GitHub signs no timestamp and a replayed body can carry any X-GitHub-Delivery:
    // the idempotency key is a hash of the signed body (the delivery id stays in the audit detail).
    replayKey: "body",
    agents: [options.onWorkflowFailure],
    secret: (env) => env.WEBHOOK_SECRET_GITHUB,
    verify: verifyGitHub,
    map: (payload, headers, env): Mapped => {
      const event = headers.get("x-github-event") ?? "";
      const id = DeliveryId.safeParse(headers.get("x-github-delivery"));
      if (!id.success) throw new ApiError(400, "invalid_delivery_id", "X-GitHub-Delivery is missing or not a delivery id.");
      const deliveryId = id.data;
      switch (event) {
        case "workflow_run": {
          const p = WorkflowRun.parse(payload);
          const run = p.workflow_run;
          const detail = { event, repository: p.repository.full_name, workflowRunId: run.id };
          if (p.action !== "completed" || run.conclusion !== "failure") {
            return { deliveryId, detail, action: { kind: "ignore", reason: `workflow_run ${p.action}/${run.conclusion ?? "pending"} needs no agent` } };
          }
          return {
            deliveryId,
            detail,
            action: {
              kind: "launch",
              agent: options.onWorkflowFailure,
              message:
                `CI workflow "${run.name ?? "unnamed"}" failed in ${p.repository.full_name} on branch ${run.head_branch ?? "(none)"} ` +
                `at commit ${run.head_sha.slice(0, 12)} (${run.html_url}). Check the deployable tags and decide whether ` +
                `staging needs a redeploy of the last good tag; ask a human if unsure.`,
              metadata: { repository: p.repository.full_name, workflow: run.name ?? "", runUrl: run.html_url, sha: run.head_sha },
            },
          };
        }
        case "issue_comment": {
          const p = IssueComment.parse(payload);
          const detail = { event, repository: p.repository.full_name, issue: p.issue.number };
          // Only the repository's own people steer a thread; outsiders are acknowledged and ignored.
          const association = (p.comment.author_association ?? "NONE").toUpperCase();
          if (!trustedAssociations(env.GITHUB_TRUSTED_ASSOCIATIONS).includes(association)) {
            return { deliveryId, detail, action: { kind: "ignore", reason: `comment author ${p.comment.user.login.slice(0, 40)} is ${association}, not trusted to act on threads` } };
          }
          const reference = p.action === "created" && p.comment.user.type !== "Bot" ? threadReference(p.comment.body) : undefined;
          if (!reference) return { deliveryId, detail, action: { kind: "ignore", reason: "the comment names no thread (thread:<id>)" } };
          return {
            deliveryId,
            detail,
            action: { kind: "message", threadId: reference.threadId, text: clip(`${p.comment.user.login} on ${p.issue.html_url}: ${reference.text}`) },
          };
        }
        default:
          return { deliveryId, detail: { event }, action: { kind: "ignore", reason: `GitHub event "${event.slice(0, 40)}" is not mapped` } };
      }
    },
  };
}
