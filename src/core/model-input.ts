import type { ContextSection, RenderedThread, Tokenizer } from "./context";

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
  readonly stats: Omit<RenderedThread, "text" | "sections" | "tokens">;
  /** Tokens of the whole input (messages and tool schemas) against the agent's limit, and how they were counted. */
  readonly budget: { readonly tokens: number; readonly limit: number; readonly tokenizer: string };
  /** What each range of the log became: in full, summarised, or omitted and why. */
  readonly sections: readonly ContextSection[];
};

/** Chat formats add a few tokens per message (role, separators). */
const PER_MESSAGE_TOKENS = 4;

/** Tokens of everything but the thread: the system prompt, the tool schemas (as JSON), the instruction. */
export function reservedTokens(systemPrompt: string, tools: readonly ToolSpec[], tokenizer: Tokenizer): number {
  return (
    tokenizer.count(systemPrompt) +
    (tools.length > 0 ? tokenizer.count(JSON.stringify(tools)) : 0) +
    tokenizer.count(`\n\n${NEXT_STEP_INSTRUCTION}`) +
    2 * PER_MESSAGE_TOKENS +
    3
  );
}

export const NEXT_STEP_INSTRUCTION =
  "Choose the next step. Call exactly one tool. If you need something only a human can provide, ask for it.";

export function buildModelInput(args: {
  systemPrompt: string;
  promptVersion: string;
  thread: RenderedThread;
  tools: readonly ToolSpec[];
  seenSeq: number;
  /** Tokens reserved before the thread (reservedTokens), the agent's limit and the tokenizer's name. */
  budget: { reserved: number; limit: number; tokenizer: string };
}): ModelInput {
  const { text, sections, tokens, ...stats } = args.thread;
  return {
    messages: [
      { role: "system", content: args.systemPrompt },
      { role: "user", content: `${text}\n\n${NEXT_STEP_INSTRUCTION}` },
    ],
    tools: args.tools,
    promptVersion: args.promptVersion,
    seenSeq: args.seenSeq,
    stats,
    budget: { tokens: args.budget.reserved + tokens, limit: args.budget.limit, tokenizer: args.budget.tokenizer },
    sections,
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
