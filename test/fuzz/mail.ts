/**
 * TEST ONLY: seeded malformed inbound mail for the email() handler. Each case is a plain
 * mail (structured headers + body) with one or two mutations from MUTATIONS, plus an
 * envelope and a From header chosen so the test knows, independently of the parser,
 * whether the mail may start a thread at all (`mayLaunch`).
 */
import { prng, unicode, type Rng } from "./generate";

/** Who may mail the agents under test (EMAIL_ALLOWED_SENDERS in vitest.config.ts: "alice@example.com, @trusted.example"). */
export const ALLOWED_DOMAIN = "trusted.example";
export const DOMAIN = "agents.test";
/** MAX_EMAIL_BYTES in vitest.config.ts. */
export const MAX_BYTES = 100_000;

type Header = [name: string, value: string];
type Draft = { headers: Header[]; body: string; parts?: number };

export type MailCase = {
  readonly index: number;
  readonly mutations: readonly string[];
  readonly envelope: { readonly from: string; readonly to: string };
  readonly raw: Uint8Array;
  /** Whether a thread may be launched: a genuine DMARC verdict, known agent, allowed envelope, no automated marker, not oversized, no forbidden From. */
  readonly mayLaunch: boolean;
  /** Whether the handler must answer with setReject (the recipient is not a mailbox of ours). */
  readonly mustReject: boolean;
};

const CRLF = "\r\n";
const enc = new TextEncoder();

const serialize = (d: Draft) => d.headers.map(([n, v]) => `${n}: ${v}`).join(CRLF) + CRLF + CRLF + d.body;

const setHeader = (d: Draft, name: string, value: string | undefined) => {
  d.headers = d.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
  if (value !== undefined) d.headers.push([name, value]);
};

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function multipart(rng: Rng, boundary: string, parts: string[], close = true): string {
  return parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join("") + (close ? `--${boundary}--${CRLF}` : "");
}

const textPart = (text: string, extra = "") => `Content-Type: text/plain; charset=utf-8${extra}${CRLF}${CRLF}${text}`;

/** Mutations of the structured draft (headers stay a parseable block unless `breaksHeaders`). */
type Mutation = { name: string; breaksHeaders?: boolean; apply(d: Draft, rng: Rng): void };

const MUTATIONS: readonly Mutation[] = [
  { name: "missing_from", apply: (d) => setHeader(d, "From", undefined) },
  { name: "missing_to", apply: (d) => setHeader(d, "To", undefined) },
  { name: "missing_message_id", apply: (d) => setHeader(d, "Message-ID", undefined) },
  {
    name: "weird_message_id",
    apply: (d, rng) =>
      setHeader(d, "Message-ID", rng.pick(["<>", "no-brackets@x", "<a b@c>", `<${"m".repeat(2000)}@x>`, "<a@b> <c@d>", "<<nested>>", "<\u00e9t\u00e9@x>", ""])),
  },
  {
    name: "huge_header_line",
    apply: (d, rng) => setHeader(d, rng.pick(["Subject", "X-Junk", "References", "In-Reply-To"]), "h".repeat(20_000 + rng.int(70_000))),
  },
  {
    name: "many_folded_lines",
    apply: (d, rng) => setHeader(d, "Subject", Array.from({ length: 2_000 + rng.int(6_000) }, (_, i) => `w${i}`).join(`${CRLF} `)),
  },
  { name: "many_headers", apply: (d, rng) => d.headers.push(...Array.from({ length: 500 + rng.int(3_000) }, (_, i): Header => [`X-H${i}`, unicode(rng, 6).replace(/[\r\n]/g, "")])) },
  {
    name: "broken_encoded_word",
    apply: (d, rng) => setHeader(d, "Subject", rng.pick(["=?utf-8?q?broken", "=?x-unknown?B?AAAA?=", "=?utf-8?B?!!!!?=", "=??=", "=?utf-8?Q?=ZZ=?=", `=?utf-8?B?${"A".repeat(5000)}?=`])),
  },
  {
    name: "bad_charset",
    apply: (d, rng) => {
      setHeader(d, "Content-Type", `text/plain; charset=${rng.pick(["x-unknown", "utf-7", '"utf-8', "utf-8\"; x=", "", "iso-2022-jp", "utf-16", "\u00ff"])}`);
      d.body = rng.chance(0.5) ? String.fromCharCode(...Array.from({ length: 200 }, () => 0x80 + rng.int(128))) : d.body;
    },
  },
  {
    name: "bad_base64",
    apply: (d, rng) => {
      setHeader(d, "Content-Transfer-Encoding", "base64");
      d.body = rng.pick(["!!!@@@###", "QUJD=====", "A", "====", "QUJD\u0000REVG", "Z".repeat(10_001), `${btoa("hello")}*${btoa("world")}`]);
    },
  },
  {
    name: "bad_quoted_printable",
    apply: (d, rng) => {
      setHeader(d, "Content-Transfer-Encoding", "quoted-printable");
      d.body = rng.pick(["=ZZ=XX", "soft break at end =", "=", "=\r\n=\r\n=", "caf=C3", "=E2=82", "=".repeat(5000)]);
    },
  },
  { name: "unknown_transfer_encoding", apply: (d, rng) => setHeader(d, "Content-Transfer-Encoding", rng.pick(["x-uuencode", "8bit7bit", "binary", "\u00ff"])) },
  {
    name: "broken_boundary",
    apply: (d, rng) => {
      const declared = rng.pick(["b1", "", '"unterminated', "x".repeat(200), "b b"]);
      setHeader(d, "Content-Type", `multipart/mixed; boundary=${declared}`);
      const used = rng.pick(["b1", "b2", "", declared]);
      d.body = multipart(rng, used, [textPart("part one"), textPart("part two")], rng.chance(0.5));
    },
  },
  { name: "multipart_without_boundary", apply: (d) => setHeader(d, "Content-Type", "multipart/alternative") },
  {
    name: "deep_multipart",
    apply: (d, rng) => {
      const depth = rng.pick([40, 200, 800, 1500]);
      let inner = textPart("deep inside");
      for (let i = depth; i > 0; i--) inner = `Content-Type: multipart/mixed; boundary=d${i}${CRLF}${CRLF}${multipart(rng, `d${i}`, [inner], rng.chance(0.9))}`;
      setHeader(d, "Content-Type", "multipart/mixed; boundary=d0");
      d.body = multipart(rng, "d0", [inner]);
    },
  },
  {
    name: "many_parts",
    apply: (d, rng) => {
      setHeader(d, "Content-Type", "multipart/mixed; boundary=mp");
      d.body = multipart(rng, "mp", Array.from({ length: 300 + rng.int(1_000) }, (_, i) => textPart(`p${i}`, rng.chance(0.3) ? `${CRLF}Content-Disposition: attachment; filename="${"f".repeat(rng.int(400))}.bin"` : "")));
    },
  },
  {
    name: "garbage_attachment",
    apply: (d, rng) => {
      setHeader(d, "Content-Type", "multipart/mixed; boundary=ga");
      const att = `Content-Type: ${rng.pick(["application/octet-stream", "", ";;;", "image/png; name="])}${CRLF}Content-Disposition: ${rng.pick(["attachment", "attachment; filename=", 'attachment; filename="\u0000.exe"', "inline; filename*=utf-8''%FF%FE"])}${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${rng.pick(["***", "AAAA", ""])}`;
      d.body = multipart(rng, "ga", [textPart("see attached"), att]);
    },
  },
  { name: "html_bomb", apply: (d, rng) => { setHeader(d, "Content-Type", "text/html"); d.body = "<div>".repeat(1_000 + rng.int(15_000)) + "<script>x</script><!--" + "<p>&#xFFFFFF;&bogus;"; } },
  { name: "unicode_body", apply: (d, rng) => { d.body = unicode(rng, 2_000); } },
  { name: "empty_body", apply: (d) => { d.body = ""; } },
  { name: "header_without_colon", breaksHeaders: true, apply: (d, rng) => d.headers.unshift([rng.pick(["Garbage line", "\u0000", " leading-space", ":"]), "x"]) },
];

/** Byte-level mutations of the serialized mail: after these nothing in the header block is certain. */
const RAW_MUTATIONS: readonly { name: string; apply(raw: Uint8Array, rng: Rng): Uint8Array }[] = [
  { name: "random_bytes", apply: (_raw, rng) => randomBytes(rng, 1 + rng.int(4_000)) },
  { name: "truncated", apply: (raw, rng) => raw.slice(0, rng.int(raw.length)) },
  { name: "lf_only", apply: (raw) => enc.encode(new TextDecoder("latin1").decode(raw).replace(/\r\n/g, "\n")) },
  { name: "cr_only", apply: (raw) => enc.encode(new TextDecoder("latin1").decode(raw).replace(/\r\n/g, "\r")) },
  {
    name: "nul_and_high_bytes",
    apply: (raw, rng) => {
      const out = raw.slice();
      for (let i = 0; i < 20 && out.length > 0; i++) out[rng.int(out.length)] = rng.pick([0, 0xff, 0xfe, 0x80, 0x0d, 0x0a]);
      return out;
    },
  },
  { name: "empty", apply: () => new Uint8Array(0) },
];

/**
 * Invariant 10: the verdict Email Routing would prepend (Authentication-Results, authserv-id
 * mx.cloudflare.net). Only "genuine" (a DMARC pass for the From domain, topmost) may launch;
 * every other kind is a forgery or a failure the handler must refuse.
 */
const VERDICTS: readonly { kind: string; genuine: boolean; headers(domain: string): Header[] }[] = [
  { kind: "genuine", genuine: true, headers: (d) => [["Authentication-Results", `mx.cloudflare.net; spf=pass smtp.mailfrom=${d}; dkim=pass header.d=${d}; dmarc=pass header.from=${d}`]] },
  { kind: "none", genuine: false, headers: () => [] },
  { kind: "dmarc_fail", genuine: false, headers: (d) => [["Authentication-Results", `mx.cloudflare.net; spf=fail smtp.mailfrom=${d}; dkim=none; dmarc=fail header.from=${d}`]] },
  { kind: "dmarc_none", genuine: false, headers: (d) => [["Authentication-Results", `mx.cloudflare.net; spf=pass smtp.mailfrom=${d}; dmarc=none header.from=${d}`]] },
  { kind: "other_authserv", genuine: false, headers: (d) => [["Authentication-Results", `mx.evil.example; dmarc=pass header.from=${d}`]] },
  { kind: "misaligned", genuine: false, headers: () => [["Authentication-Results", "mx.cloudflare.net; dmarc=pass header.from=evil.example"]] },
  { kind: "pass_below_fail", genuine: false, headers: (d) => [["Authentication-Results", `mx.cloudflare.net; dmarc=fail header.from=${d}`], ["Authentication-Results", `mx.cloudflare.net; dmarc=pass header.from=${d}`]] },
  { kind: "pass_in_comment", genuine: false, headers: (d) => [["Authentication-Results", `mx.cloudflare.net; dmarc=fail (dmarc=pass; header.from=${d}) header.from=${d}`]] },
  { kind: "arc_elsewhere", genuine: false, headers: (d) => [["ARC-Authentication-Results", `i=1; mx.evil.example; dmarc=pass header.from=${d}`]] },
  { kind: "no_dmarc", genuine: false, headers: (d) => [["Authentication-Results", `mx.cloudflare.net; spf=pass smtp.mailfrom=${d}; dkim=pass header.d=${d}`]] },
];

/** A fresh, valid mail from `from` (or no From header at all). */
function draft(index: number, fromHeader: string | undefined, to: string): Draft {
  const headers: Header[] = [
    ...(fromHeader !== undefined ? ([["From", fromHeader]] as Header[]) : []),
    ["To", to],
    ["Subject", `fuzz ${index}`],
    ["Date", "Tue, 24 Nov 2026 16:00:00 +0000"],
    ["Message-ID", `<fuzz-${index}@${ALLOWED_DOMAIN}>`],
    ["MIME-Version", "1.0"],
    ["Content-Type", "text/plain; charset=UTF-8"],
  ];
  return { headers, body: `Please look at case ${index}.` };
}

/** One seeded case. Envelope senders are unique per case, so the handler's log line can be matched to it. */
export function mailCase(rng: Rng, index: number): MailCase {
  const allowedEnvelope = rng.chance(0.7);
  const automatedEnvelope = rng.chance(0.04) ? rng.pick(["", "<>", "MAILER-DAEMON@mx.example", "postmaster@trusted.example"]) : undefined;
  const from = automatedEnvelope ?? (allowedEnvelope ? `fz-${index}@${ALLOWED_DOMAIN}` : `fz-${index}@evil.example`);
  const recipient = rng.chance(0.85)
    ? { to: rng.pick([`deploybot@${DOMAIN}`, `probe@${DOMAIN}`, `DeployBot@${DOMAIN.toUpperCase()}`]), known: true }
    : { to: rng.pick([`nobody@${DOMAIN}`, `deploybot@elsewhere.test`, `deploybot+e_doesnotexist@${DOMAIN}`, `deploybot+../x@${DOMAIN}`, "", "not an address", `a@b@${DOMAIN}`, `<>`]), known: false };
  const fromKind = rng.pick(["allowed", "allowed", "denied", "missing"] as const);
  const fromHeader =
    fromKind === "missing" ? undefined
    : fromKind === "allowed" ? rng.pick([from, `Fuzz <${from}>`, `"=?utf-8?B?w6k=?=" <${from}>`])
    : rng.pick(["mallory@evil.example", `"fz-${index}@${ALLOWED_DOMAIN}" <mallory@evil.example>`, "Mallory <mallory@evil.example>"]);

  const d = draft(index, fromHeader, recipient.to);
  // Its own generator, so adding verdicts left every other draw of the seeded cases as it was.
  const verdict = prng(0xa7_0000 + index).chance(0.6) ? VERDICTS[0] : prng(0xa7_1000 + index).pick(VERDICTS.slice(1));
  const fromAddress = fromHeader ? (/<([^<>]+)>/.exec(fromHeader)?.[1] ?? fromHeader) : "";
  d.headers = [...(verdict?.headers(fromAddress.slice(fromAddress.lastIndexOf("@") + 1)) ?? []), ...d.headers];
  const mutations: string[] = [`auth_${verdict?.kind}`];
  let headersIntact = true;
  for (let i = 1 + (rng.chance(0.3) ? 1 : 0); i > 0; i--) {
    const m = rng.pick(MUTATIONS);
    m.apply(d, rng);
    mutations.push(m.name);
    if (m.breaksHeaders) headersIntact = false;
  }
  let raw = enc.encode(serialize(d));
  if (rng.chance(0.25)) {
    const m = rng.pick(RAW_MUTATIONS);
    raw = m.apply(raw, rng);
    mutations.push(m.name);
    headersIntact = false;
  }
  const automatedHeader = d.headers.some(([n]) => /^(auto-submitted|x-autoreply|precedence|return-path)$/i.test(n));
  const fromDenied = fromKind === "denied" && d.headers.some(([n]) => n === "From");
  const mayLaunch =
    verdict?.genuine === true && recipient.known && allowedEnvelope && automatedEnvelope === undefined && !automatedHeader && raw.byteLength <= MAX_BYTES && !(fromDenied && headersIntact);
  return { index, mutations, envelope: { from, to: recipient.to }, raw, mayLaunch, mustReject: !recipient.known };
}

/**
 * The other way round: a well-formed mail from an allowed sender to a known agent, in one
 * of the shapes real clients send (plain, QP, base64, multipart/alternative, an attachment,
 * an encoded-word subject, a display name). Each MUST launch exactly one thread whose
 * message carries the body's marker; without these, an allowlist that denied everyone
 * passed the fuzzer with 0 mails launched.
 */
export function wellFormedCase(rng: Rng, index: number): MailCase & { readonly marker: string } {
  const from = `wf-${index}@${ALLOWED_DOMAIN}`;
  const to = rng.pick([`deploybot@${DOMAIN}`, `probe@${DOMAIN}`, `DeployBot@${DOMAIN.toUpperCase()}`]);
  const marker = `marker-wf-${index}`;
  const text = `Please look at ${marker}. ${rng.pick(["Danke schön.", "café ☕", "plain ascii", "日本語も"])}`;
  const d = draft(index, rng.pick([from, `Well Formed <${from}>`, `"=?utf-8?B?w6k=?=" <${from}>`]), to);
  setHeader(d, "Message-ID", `<wf-${index}@${ALLOWED_DOMAIN}>`);
  // The verdict Email Routing adds to genuine mail (invariant 10): a DMARC pass aligned with From.
  setHeader(d, "Authentication-Results", `mx.cloudflare.net; spf=pass smtp.mailfrom=${ALLOWED_DOMAIN}; dkim=pass header.d=${ALLOWED_DOMAIN}; dmarc=pass header.from=${ALLOWED_DOMAIN}`);
  const shape = rng.pick(["plain", "qp", "base64", "alternative", "attachment", "encoded_subject"] as const);
  const utf8 = (s: string) => String.fromCharCode(...enc.encode(s));
  switch (shape) {
    case "plain":
      d.body = text;
      break;
    case "qp":
      setHeader(d, "Content-Transfer-Encoding", "quoted-printable");
      d.body = [...enc.encode(text)].map((b) => (b < 128 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
      break;
    case "base64":
      setHeader(d, "Content-Transfer-Encoding", "base64");
      d.body = btoa(utf8(text));
      break;
    case "alternative":
      setHeader(d, "Content-Type", "multipart/alternative; boundary=alt");
      d.body = multipart(rng, "alt", [textPart(text), `Content-Type: text/html; charset=utf-8${CRLF}${CRLF}<p>${text}</p>`]);
      break;
    case "attachment":
      setHeader(d, "Content-Type", "multipart/mixed; boundary=mix");
      d.body = multipart(rng, "mix", [
        textPart(text),
        `Content-Type: text/csv${CRLF}Content-Disposition: attachment; filename="report-${index}.csv"${CRLF}Content-Transfer-Encoding: base64${CRLF}${CRLF}${btoa("a,b\n1,2\n")}`,
      ]);
      break;
    case "encoded_subject":
      setHeader(d, "Subject", `=?utf-8?B?${btoa(utf8(`Frage ${index}: schön`))}?=`);
      d.body = text;
      break;
  }
  return { index, mutations: [`well_formed:${shape}`], envelope: { from, to }, raw: enc.encode(serialize(d)), mayLaunch: true, mustReject: false, marker };
}
