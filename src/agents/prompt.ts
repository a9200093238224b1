import { canonicalJson, fillTemplate, type ThreadState } from "../core";
import { sha256Hex } from "../hmac";
import type { AgentDefinition } from "./types";
import { promptOfThread } from "./variants";

const versions = new Map<string, Promise<string>>();

/** Factor 2: a prompt's version is the hash of its content, so every edit is a new version. */
export function promptVersion(template: string): Promise<string> {
  let version = versions.get(template);
  if (!version) {
    version = sha256Hex(template).then((hex) => `sha256:${hex.slice(0, 12)}`);
    versions.set(template, version);
  }
  return version;
}

export function renderSystemPrompt(agent: AgentDefinition, state: ThreadState): string {
  // The thread's own variant (Factor 2): the one its log recorded, else the default.
  return fillTemplate(promptOfThread(agent, state).template, {
    agent: agent.name,
    description: agent.description,
    thread_id: state.id,
    metadata: state.metadata ? canonicalJson(state.metadata) : "{}",
    tools: agent.tools.map((t) => `- ${t.name}: ${t.description}`).join("\n"),
    ...Object.fromEntries(
      Object.entries(state.metadata ?? {}).map(([k, v]) => [`metadata.${k}`, typeof v === "string" ? v : canonicalJson(v)]),
    ),
  });
}
