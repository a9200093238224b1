import type OpenAI from "openai";
import { truncate, type ModelErrorCode, type TokenUsage } from "../core";
import type { ModelConfig } from "./config";
import { failFromError, modelClient } from "./decide";

/** The longest summary kept, in characters (the event caps it too). */
export const MAX_SUMMARY_CHARS = 8_000;

export type Summary =
  | { readonly ok: true; readonly summary: string; readonly usage?: TokenUsage; readonly latencyMs: number }
  | { readonly ok: false; readonly code: ModelErrorCode; readonly message: string; readonly retryAfterMs?: number };

/**
 * Asks the same endpoint as every model step for a summary of a range of the thread
 * (Factor 3, compaction): no tools, plain text back. Never throws for anything the
 * endpoint does; a failure comes back as a value and the caller falls back to dropping.
 */
export async function summarise(args: { config: ModelConfig; prompt: string; text: string; fetch?: typeof fetch }): Promise<Summary> {
  const started = Date.now();
  let completion: OpenAI.Chat.Completions.ChatCompletion;
  try {
    completion = await modelClient(args.config, args.fetch).chat.completions.create({
      model: args.config.model,
      messages: [
        { role: "system", content: args.prompt },
        { role: "user", content: args.text },
      ],
    });
  } catch (error) {
    const failed = failFromError(error, (code, message, _usage, retryAfterMs) => ({
      type: "model_failed",
      data: { code, message, seenSeq: 0, model: args.config.model, promptVersion: "", latencyMs: 0, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    }));
    return { ok: false, code: failed.data.code, message: failed.data.message, ...(failed.data.retryAfterMs !== undefined ? { retryAfterMs: failed.data.retryAfterMs } : {}) };
  }
  const content = completion.choices?.[0]?.message?.content;
  if (typeof content !== "string" || content.trim() === "") return { ok: false, code: "empty_response", message: "The model returned no summary text." };
  const usage = completion.usage ? { promptTokens: completion.usage.prompt_tokens ?? 0, completionTokens: completion.usage.completion_tokens ?? 0 } : undefined;
  return { ok: true, summary: truncate(content.trim(), MAX_SUMMARY_CHARS), ...(usage ? { usage } : {}), latencyMs: Date.now() - started };
}
