import { z } from "zod";
import template from "../../../prompts/deploybot.md";
import terse from "../../../prompts/deploybot.terse.md";
import { countSetting, defineAgent, defineTool, doneForNow, flagSetting, parseApprovers, requestMoreInformation } from "../define";
import { Environment, targetFrom, type Service } from "./target";

const deployInput = z.object({
  tag: z.string().min(1).max(100).describe("The git tag to deploy, e.g. v1.2.3"),
  environment: Environment,
});

const deployTool = (service: Service) =>
  defineTool({
    name: `deploy_${service}`,
    description: `Deploy the ${service} at a git tag to staging or production.`,
    input: deployInput,
    // Production needs a human; staging runs inline.
    requiresApproval: (args) => args.environment === "production",
    // Nobody approved in time: notify ESCALATION_CONTACT once and wait as long again, then deny.
    onHumanTimeout: "escalate",
    // Who may approve a production deploy (DEPLOY_APPROVERS); empty = any verified principal.
    approvers: (env) => parseApprovers(env.DEPLOY_APPROVERS),
    // Invariant 13: how many distinct people approve a production deploy, and whether its requester may be one.
    approvals: { required: (env) => countSetting(env.DEPLOY_APPROVALS_REQUIRED, 1) },
    selfApproval: (env) => flagSetting(env.DEPLOY_SELF_APPROVAL, "DEPLOY_SELF_APPROVAL", true),
    // An approver may fix the tag; never the environment (that would move the change past its board).
    editable: ["tag"],
    timeoutMs: 120_000,
    run: (args, ctx) => targetFrom(ctx.env, ctx.fetch).deploy({ service, ...args }, ctx.signal),
  });

/** The canonical 12-factor example agent (see docs/http-api.md). */
export const deploybot = defineAgent({
  name: "deploybot",
  description: "Deploys the backend and frontend; production deploys need a human's approval.",
  // Factor 2: two prompt versions side by side; 3 of 4 new threads get the full prompt.
  prompt: { file: "prompts/deploybot.md", template, weight: 3 },
  variants: [{ name: "terse", file: "prompts/deploybot.terse.md", template: terse, weight: 1 }],
  tools: [
    defineTool({
      name: "list_git_tags",
      description: "List recent git tags that can be deployed.",
      input: z.object({}),
      idempotent: true,
      run: (_args, ctx) => targetFrom(ctx.env, ctx.fetch).listTags(ctx.signal),
    }),
    deployTool("backend"),
    deployTool("frontend"),
    requestMoreInformation,
    doneForNow,
  ],
});
