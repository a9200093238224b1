import { z } from "zod";

// Who answered a human request (invariant 10). Every path that can answer (the API, a
// signed link, an email reply, the operator console) turns its credential into one of
// these before the thread object sees the answer; the log records it on human_responded.


export const PrincipalKind = z.enum(["api", "link", "email", "console", "slack", "mcp"]);
export type PrincipalKind = z.infer<typeof PrincipalKind>;

export const Principal = z.strictObject({
  kind: PrincipalKind,
  /** A credential name, an Access identity (email), a link's recipient, a mail sender (lowercased), or a Slack `<team>:<user>`. */
  id: z.string().min(1).max(320),
  /** How the id was verified: "api_token", "cloudflare_access", "signed_link", "dmarc", "session", "slack_signature", "legacy". */
  verifiedBy: z.string().min(1).max(64),
});
export type Principal = z.infer<typeof Principal>;

/**
 * Logs written before principals existed are immutable: `by` was a string
 * ("email:alice@example.com", "approval-link") or absent. They still parse, as a principal
 * whose `verifiedBy` is "legacy", so nobody mistakes them for a verified identity.
 */
export function legacyPrincipal(by: unknown): unknown {
  if (by === undefined || by === null) return { kind: "api", id: "unknown", verifiedBy: "legacy" };
  if (typeof by !== "string") return by;
  if (by.startsWith("email:")) return { kind: "email", id: by.slice("email:".length) || "unknown", verifiedBy: "legacy" };
  if (by === "approval-link") return { kind: "link", id: "approval-link", verifiedBy: "legacy" };
  return { kind: "api", id: by.slice(0, 320) || "unknown", verifiedBy: "legacy" };
}

/** `by` on human_responded: a principal, or a legacy value mapped to one. */
export const RecordedPrincipal = z.preprocess(legacyPrincipal, Principal);

/**
 * An approver entry: a full address (`alice@example.com`), a whole domain
 * (`@example.com`, no subdomains), a credential name (`ops-bot`) or a Slack user
 * (`slack:u123`, or `slack:t123:u123` to pin the workspace). Lowercase.
 */
export const ApproverEntry = z
  .string()
  .min(1)
  .max(320)
  .regex(
    /^(@[a-z0-9.-]+|[^@\s:]+@[a-z0-9.-]+|[a-z0-9][a-z0-9_.-]*|slack:[a-z0-9]+(:[a-z0-9]+)?)$/,
    "an address, an @domain, a credential name or slack:<user id> (lowercase)",
  );

const SLACK_ENTRY = "slack:";

/**
 * Whether a principal is one of the named approvers. Addresses and domains match the
 * identity of an email sender, a link recipient or an Access/console user whose id is an
 * address; a bare name matches an API credential or console user of that name. An empty
 * list names nobody in particular: then any verified principal may answer.
 */
export function isApprover(principal: Principal, approvers: readonly string[] | undefined): boolean {
  if (!approvers || approvers.length === 0) return true;
  const id = principal.id.toLowerCase();
  const at = id.lastIndexOf("@");
  return approvers.some((raw) => {
    const entry = raw.toLowerCase();
    // A Slack entry names a user (any workspace of this app) or `team:user` exactly.
    if (entry.startsWith(SLACK_ENTRY)) {
      const who = entry.slice(SLACK_ENTRY.length);
      return principal.kind === "slack" && (who.includes(":") ? id === who : id.slice(id.indexOf(":") + 1) === who);
    }
    if (entry.startsWith("@")) return at > 0 && id.slice(at) === entry;
    if (entry.includes("@")) return id === entry;
    return (principal.kind === "api" || principal.kind === "console" || principal.kind === "mcp") && id === entry;
  });
}
