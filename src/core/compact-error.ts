// Factor 9, compact errors into the context: what failed, why, and what to try, in a few
// lines. A stack trace or a whole HTML error page teaches the model nothing and crowds out
// what does.

/** The longest error cause the model sees, in characters. */
export const MAX_ERROR_CHARS = 400;

/** What to try next, by code: the model reads it next to the cause. */
const HINTS: Readonly<Record<string, string>> = {
  outcome_unknown: "Check whether it took effect before running it again.",
  tool_timeout: "Try again, or with a smaller request.",
  invalid_arguments: "Fix the arguments to match the tool's schema.",
  unknown_tool: "Call one of the tools you were given.",
  approval_missing: "Ask for approval of these exact arguments.",
  superseded: "Decide again with the newer input.",
  too_many_open_requests: "Wait for the open requests to be answered.",
  invalid_json: "Send the arguments as valid JSON.",
  no_tool_call: "Call exactly one tool.",
  too_many_tool_calls: "Call exactly one tool.",
  model_rate_limited: "Nothing to change; the runtime waits and retries.",
  model_unavailable: "Nothing to change; the runtime waits and retries.",
  model_timeout: "Nothing to change; the runtime waits and retries.",
  model_unreachable: "Nothing to change; the runtime waits and retries.",
};

/** The hint for a code, if there is one. Own keys only: a tool's code may be "constructor". */
export function errorHint(code: string): string | undefined {
  return Object.hasOwn(HINTS, code) ? HINTS[code] : undefined;
}

/**
 * The cause, compacted: an HTML page becomes its title, stack frames go, whitespace runs
 * collapse, and the rest is cut to MAX_ERROR_CHARS.
 */
export function compactCause(message: string): string {
  const html = /<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(message);
  let text = message;
  if (html) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(message)?.[1]?.trim();
    const before = message.slice(0, message.search(/<(!doctype|html|head|body)/i)).trim();
    text = `${before ? `${before} ` : ""}[an HTML error page${title ? `: "${title}"` : ""}, ${message.length} characters, left out]`;
  }
  const lines = text
    .split(/\r?\n/)
    // Stack frames: "    at fn (file:1:2)" (V8) and "fn@file:1:2" (others).
    .filter((line) => !/^\s*at\s+\S.*(\(|:\d+)/.test(line) && !/^\s*\S*@\S+:\d+:\d+\s*$/.test(line))
    .map((line) => line.replace(/\s+/g, " ").trim())
    .filter((line) => line.length > 0);
  const joined = lines.join(" ");
  return joined.length <= MAX_ERROR_CHARS ? joined : `${joined.slice(0, MAX_ERROR_CHARS)}… [${joined.length - MAX_ERROR_CHARS} more characters]`;
}

/** The body of an error block: cause, then what to try. */
export function compactError(code: string, message: string): string {
  const hint = errorHint(code);
  const cause = compactCause(message);
  return hint && !cause.includes(hint) ? `${cause}\nTry: ${hint}` : cause;
}
