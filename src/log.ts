/**
 * Structured logs: one JSON object per line, which Workers Logs indexes field by field, so an
 * operator can query by `threadId`, `correlationId` or `msg` (docs/operations.md). One line per
 * HTTP request, per step of a thread, per timer wake and per inbound mail, cron tick or webhook.
 * Mail addresses are personal data: every line passes through `redactEmails` first.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined | readonly string[]>;

export function logLine(msg: string, fields: LogFields, level: "info" | "warn" | "error" = "info"): void {
  const line = redactEmails(JSON.stringify({ level, msg, ...fields }));
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** The part of the environment logging reads: LOG_LEVEL. */
export type LogEnv = { readonly LOG_LEVEL?: string | undefined };

const reported = new Set<string>();

/**
 * A setting that is set but cannot be used: one `setting_invalid` warning per isolate for
 * each `key` (a setting and its value, or a setting alone), however often it is read.
 */
export function settingInvalid(key: string, fields: LogFields): void {
  if (reported.has(key)) return;
  reported.add(key);
  logLine("setting_invalid", fields, "warn");
}

/**
 * Whether the high-volume lines are wanted: one per HTTP request, per step and per timer
 * wake. LOG_LEVEL `info` (the default) logs them; `warn` keeps warnings and errors only (and
 * the rare lines of a human's action, such as a Slack click), for a deployment whose log
 * volume costs more than it tells. Any other value keeps the default and says so once.
 */
export function infoLines(env: LogEnv): boolean {
  const level = env.LOG_LEVEL?.trim().toLowerCase();
  if (level === undefined || level === "" || level === "info") return true;
  if (level === "warn") return false;
  settingInvalid(`LOG_LEVEL=${level}`, { setting: "LOG_LEVEL", value: level.slice(0, 40), expected: "info or warn", using: "info" });
  return true;
}

/** `alice@example.com` -> `a***@example.com`: the domain stays useful, the person does not show. */
export function redactEmails(text: string): string {
  return text.replace(/([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g, "$1***@$2");
}

/** A correlation id: the caller's (printable, short), else Cloudflare's ray id, else a fresh one. */
export function correlationIdFrom(header: string | null | undefined, ray: string | null | undefined): string {
  if (header && /^[\x21-\x7e]{1,100}$/.test(header)) return header;
  if (ray && /^[\x21-\x7e]{1,100}$/.test(ray)) return ray;
  return crypto.randomUUID();
}
