import type { Principal } from "../../core";

/** Who a Slack click, modal or reply answers as: the verified `<team>:<user>` (invariant 10). */
export function slackPrincipal(team: string, user: string): Principal {
  return { kind: "slack", id: `${team}:${user}`, verifiedBy: "slack_signature" };
}
