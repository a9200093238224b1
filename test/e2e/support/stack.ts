/// <reference types="node" />
/**
 * TEST ONLY: the stack most e2e files start once: the scripted model server and the deploy
 * target in Node, and `wrangler dev` pointed at both (DEPLOY_TARGET_URL) with the mail and
 * webhook settings the email and approval tests share. `overrides` adds or replaces vars.
 */
import { startDeployTarget, type DeployTarget } from "./deploy-target";
import { startModelServer, type ModelServer } from "./model-server";
import { e2eVars, startWranglerDev, type DevServer } from "./wrangler";

export type Stack = { readonly model: ModelServer; readonly target: DeployTarget; readonly dev: DevServer };

export const STACK_DOMAIN = "agents.example";

export async function startStack(token: string, overrides: Record<string, string> = {}): Promise<Stack> {
  const [model, target] = await Promise.all([startModelServer(), startDeployTarget()]);
  const dev = await startWranglerDev((url) =>
    e2eVars(
      { url, token, modelUrl: model.baseUrl },
      {
        DEPLOY_TARGET_URL: target.url,
        HUMAN_LINK_SECRET: "e2e-link-secret",
        EMAIL_DOMAIN: STACK_DOMAIN,
        OPERATOR_EMAIL: "",
        WEBHOOK_SECRET_GITHUB: "e2e-github-secret",
        WEBHOOK_SECRET_SLACK: "e2e-slack-secret",
        ...overrides,
      },
    ),
  );
  return { model, target, dev };
}

/** Stops whatever of the stack started (a failed start leaves parts undefined). */
export async function stopStack(stack: Partial<Stack> | undefined): Promise<void> {
  await stack?.dev?.stop();
  await stack?.model?.close();
  await stack?.target?.close();
}
