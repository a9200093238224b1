import { bareAddress } from "./address";

// Is this mail really from the address in its From header? We do not check SPF, DKIM or
// DMARC ourselves; the receiving service (Cloudflare Email Routing) does, and records its
// verdicts in an Authentication-Results header (RFC 8601) and an ARC set (RFC 8617) that
// it prepends to the message. A sender can add such headers too, so only the topmost one
// that names our receiving service (its authserv-id) counts: anything below it came from
// outside. We require `dmarc=pass` with `header.from` equal to the From domain: DMARC
// pass means SPF or DKIM passed for a domain aligned with From.

export type AuthMode = "strict" | "off";

/**
 * The authserv-id Cloudflare Email Routing writes in the Authentication-Results and
 * ARC-Authentication-Results it prepends (seen on delivered mail; docs/security.md cites it).
 */
export const DEFAULT_AUTHSERV_ID = "mx.cloudflare.net";

/** EMAIL_AUTHSERV_ID: unset means Cloudflare's; only an explicit "" trusts the topmost header whoever wrote it. */
export function authservIdOf(value: string | undefined): string {
  return value ?? DEFAULT_AUTHSERV_ID;
}

export type AuthVerdict = { readonly ok: true; readonly how: "dmarc" | "off" } | { readonly ok: false; readonly reason: string };

export function authMode(value: string | undefined): AuthMode {
  // Anything but an explicit "off" is strict: a typo must not switch the check off.
  return value?.trim().toLowerCase() === "off" ? "off" : "strict";
}

/** Authentication-Results value -> its authserv-id and its `method=result` verdicts with their properties. */
export function parseAuthResults(value: string, arc: boolean): { authservId: string; results: { method: string; result: string; props: Record<string, string> }[] } {
  // Comments in parentheses carry no verdicts (and may contain ';').
  let text = value.replace(/\([^()]*\)/g, " ").replace(/\s+/g, " ").trim();
  if (arc) text = text.replace(/^i\s*=\s*\d+\s*;\s*/i, "");
  const [head = "", ...clauses] = text.split(";");
  const authservId = (head.trim().split(/\s+/)[0] ?? "").toLowerCase();
  const results = clauses.flatMap((clause) => {
    const tokens = clause.trim().split(/\s+/).filter(Boolean);
    const [first, ...rest] = tokens;
    const m = first ? /^([a-z0-9_-]+)=([a-z]+)$/i.exec(first) : null;
    if (!m) return [];
    const props: Record<string, string> = {};
    for (const token of rest) {
      const p = /^([a-z0-9_.-]+)=(.+)$/i.exec(token);
      if (p?.[1] && p[2]) props[p[1].toLowerCase()] = p[2].replace(/^"|"$/g, "").toLowerCase();
    }
    return [{ method: (m[1] ?? "").toLowerCase(), result: (m[2] ?? "").toLowerCase(), props }];
  });
  return { authservId, results };
}

/**
 * The verdict on one mail: the topmost Authentication-Results (or ARC-Authentication-Results)
 * of our receiving service must say dmarc=pass for the From domain. `authservId` empty means
 * the topmost header of either kind, whoever wrote it (only for services that strip senders' copies).
 */
export function checkAuthentication(
  mail: { readonly from?: string; readonly authResults: readonly { name: string; value: string }[] },
  mode: AuthMode,
  authservId: string,
): AuthVerdict {
  if (mode === "off") return { ok: true, how: "off" };
  const from = mail.from ? bareAddress(mail.from) : "";
  const domain = from.slice(from.lastIndexOf("@") + 1);
  if (!from.includes("@") || !domain) return { ok: false, reason: "the message has no From address to authenticate" };
  const wanted = authservId.trim().toLowerCase();
  const header = mail.authResults
    .map((h) => parseAuthResults(h.value, h.name === "arc-authentication-results"))
    .find((parsed) => !wanted || parsed.authservId === wanted);
  if (!header) return { ok: false, reason: `the receiving mail service recorded no authentication results${wanted ? ` (${wanted})` : ""}` };
  const dmarc = header.results.find((r) => r.method === "dmarc");
  if (!dmarc) return { ok: false, reason: "the receiving mail service recorded no DMARC verdict" };
  if (dmarc.result !== "pass") return { ok: false, reason: `DMARC ${dmarc.result} for ${domain}` };
  const aligned = dmarc.props["header.from"];
  if (aligned !== domain) return { ok: false, reason: `DMARC passed for ${aligned ?? "an unnamed domain"}, not for the From domain ${domain}` };
  return { ok: true, how: "dmarc" };
}
