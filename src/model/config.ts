import { DEMO_BASE_URL, DEMO_MODEL } from "./demo";
import { setting } from "../settings";

/** Where the model lives: any OpenAI-compatible Chat Completions endpoint. */
export type ModelConfig = {
  readonly model: string;
  readonly apiKey: string;
  readonly baseURL?: string;
  readonly timeoutMs: number;
};

export type ModelConfigResult = { ok: true; config: ModelConfig } | { ok: false; message: string };

/** Reads the model settings; a missing one yields a message that names it. */
export function modelConfigFrom(env: Pick<Env, "MODEL" | "OPENAI_API_KEY" | "OPENAI_BASE_URL" | "MODEL_TIMEOUT_MS">): ModelConfigResult {
  const model = env.MODEL?.trim();
  const timeoutMs = setting(env, "MODEL_TIMEOUT_MS");
  // DEMO ONLY (src/model/demo.ts): a rule-based stand-in, reached through the real openai client.
  if (model === DEMO_MODEL) return { ok: true, config: { model, apiKey: "demo", baseURL: DEMO_BASE_URL, timeoutMs } };
  const baseURL = env.OPENAI_BASE_URL?.trim() || undefined;
  const apiKey = env.OPENAI_API_KEY?.trim();
  const missing: string[] = [];
  if (!model) missing.push("MODEL (the model name, e.g. gpt-4.1-mini)");
  // Local OpenAI-compatible servers (Ollama, llama.cpp, vLLM) often need no key.
  if (!apiKey && !baseURL) missing.push("OPENAI_API_KEY (or OPENAI_BASE_URL for a server that needs no key)");
  if (!model || missing.length > 0) {
    return { ok: false, message: `The model is not configured: set ${missing.join(" and ")}. See .dev.vars.example.` };
  }
  return {
    ok: true,
    config: {
      model,
      apiKey: apiKey || "not-needed",
      ...(baseURL ? { baseURL } : {}),
      timeoutMs,
    },
  };
}

/** A thread's own model (set by a fork) replaces the configured one; endpoint and key stay. */
export function withModelOverride(config: ModelConfig, model: string | undefined): ModelConfig {
  return model ? { ...config, model } : config;
}
