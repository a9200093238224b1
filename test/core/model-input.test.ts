import { describe, expect, it } from "vitest";
import { buildModelInput, NEXT_STEP_INSTRUCTION, reservedTokens, type RenderedThread, type Tokenizer, type ToolSpec } from "../../src/core";

// What one step sends to the model, and its budget: the tokens counted must be the tokens of
// exactly what is sent (system prompt, the thread with the instruction, the tool schemas),
// plus the chat format's fixed overhead, or the context window overflows or wastes room.

/** One token per character: easy to reason about, and any miscount shows. */
const chars: Tokenizer = { name: "chars", count: (text) => text.length };
const tools: ToolSpec[] = [
  { name: "deploy", description: "Deploy a tag.", parameters: { type: "object", properties: { tag: { type: "string" } } } },
  { name: "done_for_now", description: "Finish.", parameters: { type: "object" } },
];
const thread = (text: string): RenderedThread => ({ text, tokens: text.length, shown: 2, omitted: 1, pinnedTokens: 0, overBudget: false, sections: [] });
/** The chat format's overhead: 4 tokens per message (two messages) and 3 to prime the reply. */
const FORMAT = 2 * 4 + 3;

describe("the model input", () => {
  it("sends the system prompt, then the thread followed by the one-tool instruction", () => {
    const input = buildModelInput({ systemPrompt: "You deploy.", promptVersion: "v7", thread: thread("<launch>ship it</launch>"), tools, seenSeq: 9, budget: { reserved: 0, limit: 1000, tokenizer: "chars" } });
    expect(input.messages).toEqual([
      { role: "system", content: "You deploy." },
      { role: "user", content: `<launch>ship it</launch>\n\n${NEXT_STEP_INSTRUCTION}` },
    ]);
    expect(input).toMatchObject({ tools, promptVersion: "v7", seenSeq: 9, stats: { shown: 2, omitted: 1 } });
    expect(input.stats).not.toHaveProperty("text");
  });

  it("counts exactly what is sent: the reserved tokens plus the thread's are the tokens of the messages and tool schemas, plus the format's overhead", () => {
    const system = "You are deploybot. Ask before production.";
    const text = "<launch>deploy v1.2.3 to production</launch>";
    const reserved = reservedTokens(system, tools, chars);
    const input = buildModelInput({ systemPrompt: system, promptVersion: "v1", thread: thread(text), tools, seenSeq: 3, budget: { reserved, limit: 4000, tokenizer: chars.name } });
    const sent = input.messages.reduce((n, m) => n + chars.count(m.content), 0) + chars.count(JSON.stringify(input.tools));
    expect(input.budget).toEqual({ tokens: sent + FORMAT, limit: 4000, tokenizer: "chars" });
  });

  it("an agent without tools reserves nothing for schemas", () => {
    const reserved = reservedTokens("sys", [], chars);
    expect(reserved).toBe("sys".length + `\n\n${NEXT_STEP_INSTRUCTION}`.length + FORMAT);
    expect(reservedTokens("sys", tools, chars) - reserved).toBe(JSON.stringify(tools).length);
  });
});
