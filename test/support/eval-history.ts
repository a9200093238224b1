import { expect } from "vitest";
import { launch, settle } from "./api";
import { deployRule } from "./eval-rules";
import { model } from "./harness";

/** Launches deploybot threads pinned to the default prompt, on one script of deployRule, and lets them finish. */
export async function deployHistory(script: string, ids: readonly string[], gate?: string): Promise<void> {
  const marker = model.script(script, deployRule(gate));
  for (const id of ids) {
    const { response } = await launch("deploybot", `deploy the backend to staging ${marker}`, { threadId: id, variant: "default" });
    expect(response.status).toBe(201);
    expect((await settle(id)).status).toBe("done");
  }
}
