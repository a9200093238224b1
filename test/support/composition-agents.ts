/**
 * TEST ONLY: a parent agent for composition tests. `boss` delegates to the probe agent
 * (whose tools fail on cue) and to itself (a cycle, bounded by the depth limit); a
 * small fan-out limit and a 30 s child deadline keep the limits testable.
 */
import { defineAgent, delegateTo, doneForNow, requestMoreInformation } from "../../src/agents";

export const BOSS_CHILD_TIMEOUT_SECONDS = 30;
export const BOSS_MAX_CHILDREN = 2;

export const boss = defineAgent({
  name: "boss",
  description: "Test-only parent agent that hands tasks to other agents.",
  prompt: { file: "test/support/composition-agents.ts", template: "You are {{agent}}, a test parent. Thread {{thread_id}}." },
  tools: [requestMoreInformation, doneForNow],
  delegates: [
    delegateTo("probe", { timeoutSeconds: BOSS_CHILD_TIMEOUT_SECONDS }),
    delegateTo("boss", { description: "Hand a task to another boss (tests the depth limit)." }),
  ],
  maxChildren: BOSS_MAX_CHILDREN,
});
