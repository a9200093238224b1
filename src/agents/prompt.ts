import { canonicalJson, fillTemplate, type ThreadState } from "../core";
import type { AgentDefinition } from "./types";
import { promptOfThread } from "./variants";

const versions = new Map<string, Promise<string>>();

/** Factor 2: a prompt's version is the hash of its content, so every edit is a new version. */
export function promptVersion(template: string): Promise<string> {
  let version = versions.get(template);
  if (!version) {
    version = crypto.subtle
      .digest("SHA-256", new TextEncoder().encode(template))
      .then((digest) => `sha256:${[...new Uint8Array(digest)].slice(0, 6).map((b) => b.toString(16).padStart(2, "0")).join("")}`);
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
