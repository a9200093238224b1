import type { ActionTool, ToolContext } from "../../agents";
import type { ActiveCall, Json, NewEvent } from "../../core";
import { threadDirectory } from "./thread-directory";

/** Tool results above this are cut with a marker, keeping rows small (invariant 8). */
export const MAX_RESULT_BYTES = 128 * 1024;

/**
 * Runs one tool call and returns its outcome as an event. Never throws: a throwing,
 * hanging or oversized tool becomes a compact `tool_failed` or a truncated result.
 * The ports a tool reads through (`threads`) are filled in here.
 */
export async function runTool(
  tool: ActionTool,
  call: ActiveCall,
  ctx: Omit<ToolContext, "signal" | "threads">,
  now: () => number,
): Promise<NewEvent> {
  const started = now();
  const base = { callId: call.callId, tool: call.tool };
  const parsed = tool.input.safeParse(call.args);
  if (!parsed.success) {
    return { type: "tool_failed", data: { ...base, code: "invalid_arguments", message: parsed.error.issues.map((i) => i.message).join("; ") } };
  }
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), tool.timeoutMs);
  });
  try {
    const result = await Promise.race([tool.run(parsed.data, { ...ctx, threads: threadDirectory(ctx.env), signal: controller.signal }), timeout]);
    if (result === "timeout") {
      controller.abort(new Error("tool timeout"));
      return {
        type: "tool_failed",
        data: {
          ...base,
          code: "tool_timeout",
          message: `${call.tool} did not finish within ${tool.timeoutMs} ms; it may still complete on its own.`,
          latencyMs: now() - started,
        },
      };
    }
    return { type: "tool_succeeded", data: { ...base, ...capResult(result), latencyMs: now() - started } };
  } catch (error) {
    return {
      type: "tool_failed",
      data: {
        ...base,
        code: "tool_error",
        message: (error instanceof Error ? error.message : String(error)).slice(0, 1000),
        latencyMs: now() - started,
      },
    };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function capResult(result: Json): { result: Json; truncatedFromBytes?: number } {
  // Round-trip through JSON so whatever a handler returns (a Date, undefined) is stored as plain JSON.
  const json = JSON.stringify(result ?? null) ?? "null";
  const bytes = new TextEncoder().encode(json).length;
  if (bytes <= MAX_RESULT_BYTES) return { result: JSON.parse(json) as Json };
  return {
    result: { truncated: true, preview: json.slice(0, 4096) },
    truncatedFromBytes: bytes,
  };
}
