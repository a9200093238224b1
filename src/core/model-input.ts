import type { RenderedThread } from "./context";

/** A tool as the model sees it: name, description, JSON Schema of the arguments. */
export type ToolSpec = {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
};

export type ChatMessage = { readonly role: "system" | "user"; readonly content: string };

/** Exactly what one step sends to the model; `GET /v1/threads/{id}/context` returns it verbatim. */
export type ModelInput = {
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  readonly promptVersion: string;
  /** The last seq rendered into this input; recorded on the model event. */
  readonly seenSeq: number;
  readonly stats: Omit<RenderedThread, "text">;
};

export const NEXT_STEP_INSTRUCTION =
  "Choose the next step. Call exactly one tool. If you need something only a human can provide, ask for it.";

export function buildModelInput(args: {
  systemPrompt: string;
  promptVersion: string;
  thread: RenderedThread;
  tools: readonly ToolSpec[];
  seenSeq: number;
}): ModelInput {
  const { text, ...stats } = args.thread;
  return {
    messages: [
      { role: "system", content: args.systemPrompt },
      { role: "user", content: `${text}\n\n${NEXT_STEP_INSTRUCTION}` },
    ],
    tools: args.tools,
    promptVersion: args.promptVersion,
    seenSeq: args.seenSeq,
    stats,
  };
}

/** Fills `{{name}}` placeholders; a placeholder with no value is left visible rather than silently blanked. */
export function fillTemplate(template: string, vars: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** The placeholders a template uses, so agent definitions can be checked at load time. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g)].map((m) => m[1] as string);
}
