/**
 * TEST ONLY: builds invalid requests from the route table (routes.ts), from a seeded PRNG.
 * Each case applies exactly one fault that MUST make the request fail (a 4xx), and
 * sprinkles the rest with hostile but otherwise harmless content (unicode, huge numbers,
 * prototype keys). A fault that could accidentally yield a valid request is a fuzzer bug.
 */
import type { RouteSpec, Seeds } from "./routes";

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

export type FuzzRequest = { fault: string; method: string; path: string; headers: Record<string, string>; body?: string };

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
  const path = route.path
    .replace("{agent}", rng.pick(t.agents))
    .replace("{id}", rng.pick(t.threads))
    .replace("{token}", t.token);
  const headers: Record<string, string> = route.auth === "bearer" ? { ...bearer() } : {};
  if (!route.body) return { fault, method: route.method, path, headers };
  const body = route.body(t.seeds);
  if (route.form) {
    return { fault, method: route.method, path, headers: { ...headers, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(body as Record<string, string>).toString() };
  }
  return { fault, method: route.method, path, headers: { ...headers, ...JSON_HEADERS }, body: JSON.stringify(body) };
}

const jsonRoute = (r: RouteSpec) => r.auth === "bearer" && r.body !== undefined;
const bodyOf = (r: RouteSpec, t: Targets): Record<string, unknown> => ({ ...(r.body?.(t.seeds) ?? {}) });

export const FAULTS: readonly Fault[] = [
  {
    name: "wrong_method",
    applies: () => true,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "wrong_method");
      const taken = new Set(["GET", "POST"].filter((m) => m === route.method || (m === "GET" && route.path === "/h/{token}")));
      const method = rng.pick(["PUT", "PATCH", "DELETE", ...["GET", "POST"].filter((m) => !taken.has(m))]);
      // A GET/DELETE with a body is not allowed by fetch; keep the headers, drop the body.
      return { ...base, method, ...(method === "GET" ? { body: undefined } : {}) };
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
        "Bearer test-token extra", `Bearer ${"x".repeat(5000)}`, "Bearer t\u00e9st-token", "Token test-token",
      ]);
      return { ...base, headers: bad === undefined ? rest : { ...rest, authorization: bad } };
    },
  },
  {
    name: "malformed_json",
    applies: jsonRoute,
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
      return { ...base, body: isJson(body) || body === "" ? "{" : body };
    },
  },
  {
    name: "wrong_content_type",
    applies: (r) => r.body !== undefined,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "wrong_content_type");
      const type = rng.pick(["text/plain", "text/json", "application/jsonx", "application/json-patch", "application/xml", "multipart/form-data; boundary=x", "image/png", ...(route.form ? [] : ["application/x-www-form-urlencoded"]), ...(route.form ? ["application/json"] : [])]);
      return { ...base, headers: { ...base.headers, "content-type": type } };
    },
  },
  {
    name: "oversized_body",
    applies: (r) => r.body !== undefined,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "oversized_body");
      const size = 65_537 + rng.int(200_000);
      const filler = rng.chance(0.5) ? "x".repeat(size) : unicode(rng, 10).repeat(Math.ceil(size / 10));
      const body = route.form ? `comment=${encodeURIComponent(filler)}` : JSON.stringify({ ...bodyOf(route, t), filler });
      return { ...base, body };
    },
  },
  {
    name: "deep_json",
    applies: jsonRoute,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "deep_json");
      const depth = rng.pick([33, 64, 500, 5_000, 20_000]);
      const [field] = Object.keys(bodyOf(route, t));
      return { ...base, body: `{"${field ?? "x"}": ${nested(depth)}}` };
    },
  },
  {
    name: "wrong_type",
    applies: jsonRoute,
    build(route, rng, t) {
      const body = bodyOf(route, t);
      const field = rng.pick(Object.keys(body));
      body[field] = wrongType(rng, body[field]);
      return { ...baseline(route, rng, t, "wrong_type"), body: rng.chance(0.2) ? JSON.stringify(body).replace(/1e\+308/, "1e999") : JSON.stringify(body) };
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
      return { ...baseline(route, rng, t, "unknown_field"), body };
    },
  },
  {
    name: "missing_required",
    applies: (r) => jsonRoute(r) && !r.path.match(/pause|resume|cancel/),
    build(route, rng, t) {
      const body = bodyOf(route, t);
      const required = route.path.endsWith("/threads") ? "message" : route.path.endsWith("/messages") ? "text" : "requestId";
      delete body[required];
      body["note"] = unicode(rng);
      return { ...baseline(route, rng, t, "missing_required"), body: JSON.stringify(body) };
    },
  },
  {
    name: "unknown_id",
    applies: (r) => r.path.includes("{id}") || r.path.includes("{agent}"),
    build(route, rng, t) {
      const base = baseline(route, rng, t, "unknown_id");
      const path = route.path
        .replace("{agent}", rng.pick(["nope", "deploybot2", "constructor", "__proto__", "toString", "a".repeat(41), "Deploybot"]))
        .replace("{id}", rng.pick(t.unknownIds))
        .replace("{token}", t.token);
      return { ...base, path };
    },
  },
  {
    name: "malformed_id",
    applies: (r) => r.path.includes("{id}"),
    build(route, rng, t) {
      const bad = rng.pick([
        "-starts-with-dash", "_underscore", "a".repeat(65), "has space", "ümlaut", "..", "%2e%2e", "a%2Fb", "a%00b", "%F0%9F%92%A5",
        "__proto__", "x".repeat(3000), "a.b", "a%20", "%", "t%5Bt%5D",
      ]);
      const encoded = /%|\.\./.test(bad) ? bad : encodeURIComponent(bad);
      return { ...baseline(route, rng, t, "malformed_id"), path: route.path.replace("{id}", encoded) };
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
      };
      const query = rng.chance(0.25)
        ? `${encodeURIComponent(rng.pick(PROTO_KEYS.concat(["unknown", "limit[]"])))}=${encodeURIComponent(unicode(rng, 8))}`
        : `${param}=${encodeURIComponent(rng.pick(values[param] ?? ["x"]))}`;
      return { ...base, path: `${base.path}?${query}` };
    },
  },
  {
    name: "bad_idempotency_key",
    applies: (r) => r.idempotencyKey === true,
    build(route, rng, t) {
      const base = baseline(route, rng, t, "bad_idempotency_key");
      const key = rng.pick(["a b", "k\u00e9y", "x".repeat(201), "tab\there", "\u00a0nbsp", "del\u007f", "\u00ff".repeat(10)]);
      return { ...base, headers: { ...base.headers, "idempotency-key": key } };
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
      return { ...base, path: route.path.replace("{token}", token) };
    },
  },
];

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
  return fault.build(route, rng, t);
}
