/**
 * TEST ONLY: builds invalid requests from the route table (routes.ts), from a seeded PRNG.
 * Each case applies exactly one fault that MUST make the request fail (a 4xx), and
 * sprinkles the rest with hostile but otherwise harmless content (unicode, huge numbers,
 * prototype keys). A fault that could accidentally yield a valid request is a fuzzer bug.
 */
import { ROUTES, WEBHOOK_SECRETS, type RouteSpec, type Seeds, type WebhookScheme } from "./routes";

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[int(items.length)] as T;
  };
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof prng>;

/**
 * How sign.ts signs a webhook request just before it is sent (HMAC needs async WebCrypto;
 * the generator stays synchronous and seeded). Without overrides: a correct signature.
 */
export type SignSpec = {
  readonly scheme: WebhookScheme;
  readonly secret: string;
  /** Sign this text instead of the body sent: a body tampered with after signing. */
  readonly over?: string;
  /** Slack: seconds added to now for the signed timestamp (stale beyond +-300). */
  readonly skewSeconds?: number;
  /** Slack: the timestamp header actually sent, when it differs from the one signed. */
  readonly sentTimestamp?: string;
  /** Slack: seconds added to the signed timestamp for the header sent (fresh, but not what was signed). */
  readonly sentTimestampDelta?: number;
  /** Rewrites the finished signature header (wrong prefix, truncated, not hex, ...). */
  readonly mangle?: (signature: string) => string;
  /** Headers removed after signing (a missing signature or timestamp). */
  readonly drop?: readonly string[];
};

export type FuzzRequest = {
  fault: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  sign?: SignSpec;
  /** The exact answer this case must get: the fault pins both status and error code. */
  expect: Expected;
  /** The row it was built from. */
  route?: RouteSpec;
};

/**
 * One status and one error code (`page`: the human-link page's HTML error page, which has
 * no code). Any other answer is a finding: a mutation that makes a route answer 409 to
 * everything, or 404 instead of 401, fails the fuzzer.
 */
export type Expected = { readonly status: number; readonly code: string };
const pin = (status: number, code: string): Expected => ({ status, code });
/** The link page answers in HTML; the JSON API and webhooks in the error shape. */
const page = (r: RouteSpec, status: number, code: string): Expected => (r.auth === "link" ? pin(status, "page") : pin(status, code));

export type Targets = {
  readonly seeds: Seeds;
  readonly threads: readonly string[];
  readonly unknownIds: readonly string[];
  readonly agents: readonly string[];
  readonly token: string;
};

const CODEPOINTS: readonly [number, number][] = [
  [0x20, 0x7e], [0xa0, 0x2ff], [0x590, 0x6ff], [0x200b, 0x200f], [0x202a, 0x202e], [0x3040, 0x30ff], [0x4e00, 0x4e80],
  [0xfff0, 0xfffd], [0x1f300, 0x1f64f], [0x0, 0x1f],
];

/** Random unicode: emoji, RTL overrides, zero-width joiners, control characters, NUL. */
export function unicode(rng: Rng, max = 40): string {
  let text = "";
  for (let i = rng.int(max) + 1; i > 0; i--) {
    const [lo, hi] = rng.pick(CODEPOINTS);
    text += String.fromCodePoint(lo + rng.int(hi - lo + 1));
  }
  return text;
}

const HUGE_NUMBERS = [1e308, -1e308, 2 ** 53 + 1, -(2 ** 63), 5e-324, -0, 1.5, 4294967296];
const PROTO_KEYS = ["__proto__", "constructor", "prototype", "__defineGetter__", "hasOwnProperty", "toString"];

/** A value of a JSON type different from `sample`'s (so it can never satisfy the same schema). */
function wrongType(rng: Rng, sample: unknown): unknown {
  const kind = sample === null ? "null" : Array.isArray(sample) ? "array" : typeof sample;
  const options: [string, () => unknown][] = [
    ["string", () => unicode(rng)],
    ["number", () => rng.pick(HUGE_NUMBERS)],
    ["boolean", () => rng.chance(0.5)],
    ["null", () => null],
    ["array", () => [unicode(rng, 5), rng.pick(HUGE_NUMBERS)]],
    ["object", () => ({ [rng.pick(PROTO_KEYS)]: { polluted: true } })],
  ];
  return rng.pick(options.filter(([k]) => k !== kind))[1]();
}

function nested(depth: number): string {
  return "[".repeat(depth) + "1" + "]".repeat(depth);
}

/** Leaves the body valid apart from the fault; strings get hostile unicode where harmless. */
type Fault = {
  readonly name: string;
  applies(route: RouteSpec): boolean;
  build(route: RouteSpec, rng: Rng, t: Targets): FuzzRequest;
};

const JSON_HEADERS = { "content-type": "application/json" };
const bearer = (token = "test-token") => ({ authorization: `Bearer ${token}` });

/** The valid baseline request for a route (with a seeded thread and a known agent). */
function baseline(route: RouteSpec, rng: Rng, t: Targets, fault: string): FuzzRequest {
  return validRequest(route, t, fault, rng.pick(t.agents), rng.pick(t.threads));
}

/**
 * A route's valid request for this agent and thread: what every fault starts from, and
 * what the fuzzer sends unfaulted as a control. Its `expect` is only a placeholder; each
 * fault pins its own, and the controls check success and the change they must make.
 */
export function validRequest(route: RouteSpec, t: Targets, fault: string, agent: string, thread: string): FuzzRequest {
  const expect = pin(200, "none");
  const path = route.path
    .replace("{agent}", agent)
    .replace("{id}", thread)
    .replace("{eval}", t.seeds.evalId)
    .replace("{token}", t.token)
    .replace("{source}", route.signed ?? "");
  const headers: Record<string, string> = { ...(route.auth === "bearer" ? bearer() : {}), ...(route.headers?.(t.seeds) ?? {}) };
  const sign = route.signed ? { sign: { scheme: route.signed, secret: WEBHOOK_SECRETS[route.signed] } } : {};
  if (!route.body) return { fault, method: route.method, path, headers, expect, ...sign };
  const body = route.body(t.seeds);
  if (route.form) {
    return { fault, method: route.method, path, headers: { ...headers, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body as Record<string, string>).toString(), expect };
  }
  return { fault, method: route.method, path, headers: { ...headers, ...JSON_HEADERS }, body: JSON.stringify(body), expect, ...sign };
}

const jsonRoute = (r: RouteSpec) => r.auth === "bearer" && r.body !== undefined;
/** A webhook row: JSON body, signed. Its schemas strip unknown fields (payloads grow), so unknown_field does not apply. */
const signedRoute = (r: RouteSpec) => r.auth === "signature" && r.body !== undefined;
const anyJson = (r: RouteSpec) => jsonRoute(r) || signedRoute(r);
const bodyOf = (r: RouteSpec, t: Targets): Record<string, unknown> => ({ ...(r.body?.(t.seeds) ?? {}) });

export const FAULTS: readonly Fault[] = [
  {
    name: "wrong_method",
    applies: () => true,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "wrong_method");
      // Methods the path really serves: every row of the table with the same path.
      const taken = new Set(ROUTES.filter((r) => r.path === route.path).map((r) => r.method as string));
      const method = rng.pick(["PUT", "PATCH", ...["GET", "POST", "DELETE"].filter((m) => !taken.has(m))]);
      // A GET/DELETE with a body is not allowed by fetch; keep the headers, drop the body.
      // The API has no route for the method (404 not_found); a webhook URL exists only for
      // POST (405); the link page exists for GET and POST, so a bodiless POST is a form in
      // the wrong media type (415).
      const expect =
        route.auth === "bearer" ? pin(404, "not_found") : route.auth === "signature" ? pin(405, "method_not_allowed") : method === "POST" ? pin(415, "page") : pin(405, "page");
      return { ...base, method, expect, ...(method === "GET" ? { body: undefined } : {}) };
    },
  },
  {
    name: "bad_auth",
    applies: (r) => r.auth === "bearer",
    build(route, rng, t) {
      const base = baseline(route, rng, t, "bad_auth");
      const { authorization: _drop, ...rest } = base.headers;
      const bad = rng.pick([
        undefined, "", "Bearer", "Bearer ", "Bearer test-token-", "Bearer TEST-TOKEN", "Basic dGVzdC10b2tlbg==", "test-token",
        "Bearer test-token extra", `Bearer ${"x".repeat(5000)}`, "Token test-token",
        // Named credentials (API_TOKENS in vitest.config.ts): a name, a name:token pair, a prefix are not tokens.
        "Bearer release-manager", "Bearer release-manager:rm-token-1234", "Bearer rm-token-123", "Bearer intern-token-1234,rm-token-1234",
      ]);
      return { ...base, headers: bad === undefined ? rest : { ...rest, authorization: bad }, expect: pin(401, "unauthorized") };
    },
  },
  {
    name: "malformed_json",
    applies: anyJson,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "malformed_json");
      const valid = base.body ?? "{}";
      const body = rng.pick([
        valid.slice(0, rng.int(Math.max(1, valid.length - 1))), "{", "[1,", "nul", "{'text': 'single quotes'}", "{\"text\":}",
        `${valid}}`, `${valid},{}`, "\u00ff\u00fe{}", "{\"a\":1,}", "[]]", "\"unterminated", "NaN", "{\"text\": 1e999e1}",
        unicode(rng),
      ]);
      // Some slices of a valid body are themselves valid JSON, and an empty body deliberately
      // counts as `{}` (a bodiless POST /pause is valid): re-check, so the fault is guaranteed.
      return { ...base, body: isJson(body) || body === "" ? "{" : body, expect: pin(400, "malformed_json") };
    },
  },
  {
    name: "wrong_content_type",
    // Webhook senders' content types vary and the signature is the check: not a fault there.
    applies: (r) => r.body !== undefined && r.auth !== "signature",
    build(route, rng, t) {
      const base = baseline(route, rng, t, "wrong_content_type");
      const type = rng.pick(["text/plain", "text/json", "application/jsonx", "application/json-patch", "application/xml", "multipart/form-data; boundary=x", "image/png", ...(route.form ? [] : ["application/x-www-form-urlencoded"]), ...(route.form ? ["application/json"] : [])]);
      // The link page parses a multipart form (and finds no decision in it: 400); anything else is 415.
      const expect = route.form && type.startsWith("multipart/form-data") ? pin(400, "page") : page(route, 415, "unsupported_media_type");
      return { ...base, headers: { ...base.headers, "content-type": type }, expect };
    },
  },
  {
    name: "oversized_body",
    applies: (r) => r.body !== undefined,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "oversized_body");
      const size = 65_537 + rng.int(200_000);
      // Repeat by the piece's own length: `unicode` may return one character, and the body
      // must exceed the limit whatever the piece (otherwise a valid webhook would get through).
      const piece = unicode(rng, 10);
      const filler = rng.chance(0.5) ? "x".repeat(size) : piece.repeat(Math.ceil(size / piece.length));
      const body = route.form ? `comment=${encodeURIComponent(filler)}` : JSON.stringify({ ...bodyOf(route, t), filler });
      return { ...base, body, expect: page(route, 413, "body_too_large") };
    },
  },
  {
    name: "deep_json",
    applies: anyJson,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "deep_json");
      const depth = rng.pick([33, 64, 500, 5_000, 20_000]);
      const [field] = Object.keys(bodyOf(route, t));
      return { ...base, body: `{"${field ?? "x"}": ${nested(depth)}}`, expect: pin(400, "invalid_request") };
    },
  },
  {
    name: "wrong_type",
    applies: anyJson,
    build(route, rng, t) {
      const body = bodyOf(route, t);
      const field = rng.pick(Object.keys(body));
      body[field] = wrongType(rng, body[field]);
      // 1e999 parses as Infinity, which JSON.parse accepts and the schema refuses.
      const text = rng.chance(0.2) ? JSON.stringify(body).replace(/1e\+308/, "1e999") : JSON.stringify(body);
      return { ...baseline(route, rng, t, "wrong_type"), body: text, expect: pin(400, "invalid_request") };
    },
  },
  {
    name: "unknown_field",
    applies: jsonRoute,
    build(route, rng, t) {
      const key = rng.chance(0.6) ? rng.pick(PROTO_KEYS) : unicode(rng, 12);
      const value = rng.chance(0.5) ? { text: "polluted", isAdmin: true } : rng.pick(HUGE_NUMBERS);
      // Written as text so `__proto__` is a real own key on the wire, as an attacker would send it.
      const body = JSON.stringify(bodyOf(route, t)).replace(/^\{/, `{${JSON.stringify(key)}:${JSON.stringify(value)},`);
      return { ...baseline(route, rng, t, "unknown_field"), body, expect: pin(400, "invalid_request") };
    },
  },
  {
    name: "missing_required",
    applies: (r) => anyJson(r) && (r.required !== undefined ? r.required.length > 0 : !r.path.match(/pause|resume|cancel/)),
    build(route, rng, t) {
      const body = bodyOf(route, t);
      const required = route.required
        ? rng.pick(route.required)
        : route.path.endsWith("/threads") ? "message" : route.path.endsWith("/messages") ? "text" : "requestId";
      delete body[required];
      body["note"] = unicode(rng);
      return { ...baseline(route, rng, t, "missing_required"), body: JSON.stringify(body), expect: pin(400, "invalid_request") };
    },
  },
  {
    name: "unknown_id",
    applies: (r) => r.path.includes("{id}") || r.path.includes("{eval}") || r.path.includes("{agent}") || r.path.includes("{source}"),
    build(route, rng, t) {
      const base = baseline(route, rng, t, "unknown_id");
      const path = route.path
        .replace("{agent}", rng.pick(["nope", "deploybot2", "constructor", "__proto__", "toString", "a".repeat(41), "Deploybot"]))
        .replace("{id}", rng.pick(t.unknownIds))
        .replace("{eval}", rng.pick(UNKNOWN_EVALS))
        .replace("{token}", t.token)
        .replace("{source}", rng.pick(["gitlab", "GitHub", "SLACK", "constructor", "__proto__", "toString", "github.", "slack%00", "x".repeat(300), "%F0%9F%92%A5"]));
      const expect = route.path.includes("{id}")
        ? pin(404, "thread_not_found")
        : route.path.includes("{eval}")
          ? pin(404, "eval_not_found")
          : route.path.includes("{agent}")
          ? pin(404, "unknown_agent")
          : pin(404, "unknown_source");
      return { ...base, path, expect };
    },
  },
  {
    name: "malformed_id",
    applies: (r) => r.path.includes("{id}") || r.path.includes("{eval}"),
    build(route, rng, t) {
      const bad = rng.pick([
        "-starts-with-dash", "_underscore", "a".repeat(65), "has space", "ümlaut", "..", "%2e%2e", "a%2Fb", "a%00b", "%F0%9F%92%A5",
        "__proto__", "x".repeat(3000), "a.b", "a%20", "%", "t%5Bt%5D",
      ]);
      const encoded = /%|\.\./.test(bad) ? bad : encodeURIComponent(bad);
      // A dot segment moves the request to another path, which no route serves (an encoded slash does not).
      const [placeholder, code] = route.path.includes("{eval}") ? ["{eval}", "invalid_eval_id"] : ["{id}", "invalid_thread_id"];
      const expect = PATH_CHANGING_IDS.includes(bad) ? pin(404, "not_found") : pin(400, code);
      return { ...baseline(route, rng, t, "malformed_id"), path: route.path.replace(placeholder, encoded), expect };
    },
  },
  {
    name: "bad_query",
    applies: (r) => (r.query?.length ?? 0) > 0,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "bad_query");
      const param = rng.pick(route.query ?? []);
      const values: Record<string, string[]> = {
        limit: ["0", "-1", "abc", "1e999", "101000", "1.5", "", "NaN"],
        after: ["-1", "abc", "1.5", "1e999", "NaN", "--1"],
        status: ["bogus", "RUNNING", "", "done,failed"],
        agent: ["a".repeat(41)],
        cursor: ["not-a-cursor", "%%%", "eyJ9", btoa('{"createdAt":1}'), "a".repeat(501)],
        from: ["yesterday", "2026-13-01T00:00:00Z", "", "1700000000"],
        to: ["tomorrow", "2026-02-30T25:00:00Z", "", "now"],
        only: ["some", "", "DIFFERING"],
      };
      const unknown = rng.chance(0.25);
      const query = unknown
        ? `${encodeURIComponent(rng.pick(PROTO_KEYS.concat(["unknown", "limit[]"])))}=${encodeURIComponent(unicode(rng, 8))}`
        : `${param}=${encodeURIComponent(rng.pick(values[param] ?? ["x"]))}`;
      // A cursor past 500 characters fails the query schema; a shorter bad one fails to decode.
      const value = query.slice(param.length + 1);
      const expect = !unknown && param === "cursor" && value.length <= 500 ? pin(400, "invalid_cursor") : pin(400, "invalid_query");
      return { ...base, path: `${base.path}?${query}`, expect };
    },
  },
  {
    name: "bad_idempotency_key",
    applies: (r) => r.idempotencyKey === true,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "bad_idempotency_key");
      // Non-ASCII keys are pinned once in http-fuzz.test.ts ("non-ASCII header values"): workerd
      // prints a warning for every such request, and thousands of cases would bury the output.
      const key = rng.pick(["a b", "x".repeat(201), "tab\there", "del\u007f", "k e y"]);
      return { ...base, headers: { ...base.headers, "idempotency-key": key }, expect: pin(400, "invalid_idempotency_key") };
    },
  },
  {
    name: "garbage_token",
    applies: (r) => r.auth === "link",
    build(route, rng, t) {
      const base = baseline(route, rng, t, "garbage_token");
      const real = t.token;
      const [payload = "", signature = ""] = real.split(".");
      const token = rng.pick([
        "garbage", ".", "a.b", `${payload}.`, `.${signature}`, `${payload}.${signature.slice(0, -2)}AA`, `${payload}x.${signature}`,
        `${payload}.${signature}.extra`, encodeURIComponent(unicode(rng, 10)), "x".repeat(4000), btoa('{"threadId":"fz-waiting"}') + ".AAAA",
        `${btoa(JSON.stringify({ threadId: "fz-waiting", requestId: t.seeds.requestId, exp: 9999999999 })).replace(/=+$/, "")}.${signature}`,
      ]);
      // "." is a dot segment: /h/. is /h/, which no route serves.
      return { ...base, path: route.path.replace("{token}", token), expect: token === "." ? pin(404, "not_found") : pin(403, "page") };
    },
  },
  // ---- since issue 6 ----
  {
    // Unsigned, forged, tampered or stale: the signature is the only credential, so 401 before anything is parsed.
    name: "bad_signature",
    applies: (r) => r.auth === "signature",
    build(route, rng, t) {
      const base = baseline(route, rng, t, "bad_signature");
      const sign = base.sign;
      if (!sign) throw new Error(`signature route ${route.path} without a scheme`);
      const header = sign.scheme === "github" ? "x-hub-signature-256" : "x-slack-signature";
      const prefix = sign.scheme === "github" ? "sha256=" : "v0=";
      const other = sign.scheme === "github" ? WEBHOOK_SECRETS.slack : WEBHOOK_SECRETS.github;
      const body = base.body ?? "";
      const forgeries: (() => Partial<SignSpec>)[] = [
        () => ({ drop: [header] }),
        () => ({ secret: rng.pick([other, `${sign.secret} `, sign.secret.toUpperCase(), sign.secret.slice(0, -1), "webhook-secret", "test-token"]) }),
        () => ({ over: rng.pick([body.replace(/[a-z]/, "X"), `${body} `, body.slice(0, -1), "", "{}"]) }),
        () => ({ mangle: (v) => v.replace(prefix, rng.pick(["", "sha1=", "SHA256=", "v1=", "sha256 =", `${prefix}${prefix}`])) }),
        () => ({ mangle: (v) => rng.pick([v.slice(0, -2), `${v}00`, `${v.slice(0, -1)}g`, `${v.slice(0, -1)}${v.endsWith("0") ? "1" : "0"}`, `${v},${v}`, prefix, `${prefix}${"0".repeat(64)}`]) }),
      ];
      if (sign.scheme === "slack") {
        forgeries.push(
          () => ({ drop: ["x-slack-request-timestamp"] }),
          () => ({ skewSeconds: rng.pick([-1, 1]) * (301 + rng.int(1_000_000)) }),
          () => ({ sentTimestamp: rng.pick(["", "abc", "1e9", "-5", "0", "9".repeat(13), " 1700000000"]) }),
          () => ({ sentTimestampDelta: rng.pick([-1, 1, 60]) }),
        );
      }
      const spec: SignSpec = { ...sign, ...rng.pick(forgeries)() };
      // A bearer token never stands in for a signature.
      const headers = rng.chance(0.3) ? { ...base.headers, ...bearer() } : base.headers;
      return { ...base, headers, sign: spec, expect: pin(401, forgeryCode(spec)) };
    },
  },
  {
    // Correctly signed, but the delivery id (the idempotency key) is missing or not id-safe.
    name: "signed_bad_delivery",
    applies: (r) => r.auth === "signature",
    build(route, rng, t) {
      const base = baseline(route, rng, t, "signed_bad_delivery");
      // (No non-ASCII id: workerd warns per such request; the id check is one regex either way.)
      const bad = rng.pick(["", "../../etc", "has space", "-dash", "_under", "a".repeat(57), "x/y", "id,two", "id;drop", "a.b"]);
      if (route.signed === "github") {
        const { "x-github-delivery": _drop, ...rest } = base.headers;
        const expect = pin(400, "invalid_delivery_id");
        return { ...base, headers: rng.chance(0.3) ? rest : { ...rest, "x-github-delivery": bad }, expect };
      }
      // Slack's delivery id is a field of the signed body, so its schema refuses it.
      const body = bodyOf(route, t);
      if (rng.chance(0.3)) delete body["event_id"];
      else body["event_id"] = bad;
      return { ...base, body: JSON.stringify(body), expect: pin(400, "invalid_request") };
    },
  },
  {
    // Correctly signed, addressed to a thread that does not exist (404) or has finished (409).
    name: "unknown_thread_ref",
    applies: (r) => r.threadRef === true,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "unknown_thread_ref");
      const other = rng.pick([...t.unknownIds, "fz-done", t.seeds.freshId]);
      const expect = other === "fz-done" ? pin(409, "thread_closed") : pin(404, "thread_not_found");
      return { ...base, body: (base.body ?? "").replace(`thread:${t.seeds.target}`, `thread:${other}`), expect };
    },
  },
  {
    // The right JSON type, a value the route must refuse (out of range, unknown name, taken id).
    name: "bad_value",
    applies: (r) => r.badValues !== undefined,
    build(route, rng, t) {
      const values = route.badValues?.(t.seeds) ?? {};
      const field = rng.pick(Object.keys(values));
      const body = bodyOf(route, t);
      const [value, status, code] = rng.pick(values[field] ?? []);
      body[field] = value;
      return { ...baseline(route, rng, t, "bad_value"), body: JSON.stringify(body), expect: pin(status, code) };
    },
  },
];

/** Well-formed eval ids that name no eval (see unknown_id). */
const UNKNOWN_EVALS = [`ev_${"0".repeat(32)}`, `ev_${"f".repeat(32)}`, `ev_${"0123456789abcdef".repeat(2)}`];

/** Ids that are not ids but path syntax once in the URL (see malformed_id). */
const PATH_CHANGING_IDS: readonly string[] = ["..", "%2e%2e"];

/** What a forged signature must be refused as: which check stops it first (github.ts, slack.ts). */
function forgeryCode(spec: SignSpec): string {
  const header = spec.scheme === "github" ? "x-hub-signature-256" : "x-slack-signature";
  if (spec.drop?.includes(header) || spec.drop?.includes("x-slack-request-timestamp") || spec.sentTimestamp === "") return "missing_signature";
  if (spec.skewSeconds !== undefined || spec.sentTimestamp !== undefined) return "stale_timestamp";
  return "bad_signature";
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** One fuzz case: a route, one fault that applies to it, built from the PRNG. */
export function fuzzCase(rng: Rng, t: Targets, routes: readonly RouteSpec[]): FuzzRequest {
  const route = rng.pick(routes);
  const fault = rng.pick(FAULTS.filter((f) => f.applies(route)));
  return { ...fault.build(route, rng, t), route };
}
