import { settingInvalid } from "./log";

// Every numeric setting the Worker reads from its environment (wrangler.toml [vars],
// secrets, .dev.vars), each with its default and the values it accepts, read in one place.
// A value that is set but does not parse keeps the default, as it always did, and says so:
// one `setting_invalid` warning per isolate and value names the variable, what it holds
// and what it must be (docs/operations.md). Strings (addresses, URLs, secrets) are read
// where they are used: each has no default, and its absence switches a feature off.

type Spec = {
  /** "integer": a whole number > 0; "number": any finite number > 0. */
  readonly kind: "integer" | "number";
  /** Used when unset or invalid; undefined = the feature is off. */
  readonly default: number | undefined;
  /** Values above this are invalid (not clamped). */
  readonly max?: number;
};

export const SETTINGS = {
  /** Open human requests per thread; past it a held call fails as a tool error. */
  MAX_OPEN_REQUESTS: { kind: "integer", default: 10 },
  /** Events per thread; past the input limit outside input gets 409 thread_full. */
  MAX_THREAD_EVENTS: { kind: "integer", default: 5000 },
  /** One inbound mail, attachments included. */
  MAX_EMAIL_BYTES: { kind: "integer", default: 5 * 1024 * 1024 },
  /** One request body on /v1. */
  MAX_BODY_BYTES: { kind: "number", default: 65_536 },
  /** Shards of the thread index. */
  INDEX_SHARDS: { kind: "integer", default: 4, max: 256 },
  /** A comment line on an idle stream this often. */
  STREAM_HEARTBEAT_SECONDS: { kind: "number", default: 15 },
  /** A stream response ends after this long; EventSource reconnects. */
  STREAM_MAX_SECONDS: { kind: "number", default: 300 },
  /** The base of the notification retry backoff. */
  NOTIFY_RETRY_BASE_SECONDS: { kind: "integer", default: 30 },
  /** One model call. */
  MODEL_TIMEOUT_MS: { kind: "number", default: 60_000 },
  /** A console session's lifetime. */
  CONSOLE_SESSION_SECONDS: { kind: "number", default: 12 * 3600 },
  /** Erase a finished thread this many days after it ended; unset = keep forever. */
  THREAD_RETENTION_DAYS: { kind: "number", default: undefined },
  /** Threads one eval may select, and questions it may ask. */
  EVAL_MAX_THREADS: { kind: "integer", default: 100 },
  EVAL_MAX_QUESTIONS: { kind: "integer", default: 1000 },
  /** Questions one queue consumer asks at once (at most 32). */
  EVAL_CONCURRENCY: { kind: "integer", default: 4 },
  /** How long a leased batch of eval questions is held, and when an unanswered one is sent again. */
  EVAL_LEASE_SECONDS: { kind: "number", default: 600 },
  EVAL_RESEND_SECONDS: { kind: "number", default: 300 },
} as const satisfies Record<string, Spec>;

export type SettingName = keyof typeof SETTINGS;
type Value<N extends SettingName> = (typeof SETTINGS)[N]["default"] extends number ? number : number | undefined;

/** The setting's value: the environment's when it is set and valid, else the default. */
export function setting<N extends SettingName>(env: { readonly [K in N]?: string | undefined }, name: N): Value<N> {
  const spec: Spec = SETTINGS[name];
  const raw = env[name];
  if (raw === undefined || raw === "") return spec.default as Value<N>;
  const n = Number(raw);
  const valid = Number.isFinite(n) && n > 0 && (spec.kind === "number" || Number.isInteger(n)) && (spec.max === undefined || n <= spec.max);
  if (valid) return n;
  const expected = `${spec.kind === "integer" ? "a whole number" : "a number"} above 0${spec.max !== undefined ? ` and at most ${spec.max}` : ""}`;
  settingInvalid(`${name}=${raw}`, { setting: name, value: raw.slice(0, 100), expected, using: spec.default ?? "off" });
  return spec.default as Value<N>;
}
