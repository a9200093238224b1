import { z } from "zod";
import template from "../../../prompts/releasebot.md";
import { defineAgent, doneForNow, requestMoreInformation } from "../define";
import { delegateTo } from "../delegate";
import { Environment } from "../deploybot/target";

/**
 * Composition example (Factor 10): an intake agent that pins down a release request
 * and hands only the narrow deploy task to the deploybot specialist, which runs in its
 * own thread and asks a human for production approval as usual.
 */
export const releasebot = defineAgent({
  name: "releasebot",
  description: "Takes release requests, pins down tag, environment and services, and has deploybot carry out the deployment.",
  prompt: { file: "prompts/releasebot.md", template },
  tools: [requestMoreInformation, doneForNow],
  delegates: [
    delegateTo("deploybot", {
      description: "Have the deploybot specialist deploy a tag to an environment. Its final answer comes back as this tool's result.",
      input: z.object({
        tag: z.string().min(1).max(100).describe("The git tag to deploy, e.g. v1.2.3"),
        environment: Environment,
        services: z.array(z.enum(["backend", "frontend"])).min(1).describe("Which services to deploy"),
        notes: z.string().max(4000).optional().describe("Anything else deploybot must know"),
      }),
      message: (args) =>
        [`Deploy ${args.services.join(" and ")} at tag ${args.tag} to ${args.environment}.`, ...(args.notes ? [args.notes] : [])].join("\n\n"),
      timeoutSeconds: 24 * 60 * 60,
    }),
  ],
  maxChildren: 4,
});
