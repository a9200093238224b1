// The Worker's secrets. `npm run types` generates worker-configuration.d.ts from wrangler.toml
// alone (no .dev.vars), so secrets are declared here, each as possibly unset: the code must
// say what happens without it. API_TOKEN is required in practice (/v1 answers 503 without it);
// each of the others switches a feature on (README "Configuration", wrangler.toml).
interface OptionalSecrets {
  API_TOKEN?: string;
  /** Named API credentials, `name:token` pairs (docs/security.md); API_TOKEN is the credential `default`. */
  API_TOKENS?: string;
  OPENAI_API_KEY?: string;
  DEPLOY_TARGET_TOKEN?: string;
  HUMAN_WEBHOOK_SECRET?: string;
  HUMAN_LINK_SECRET?: string;
  WEBHOOK_SECRET_GITHUB?: string;
  WEBHOOK_SECRET_SLACK?: string;
  /** Slack bot token (docs/slack.md): set = human requests go to Slack; unset = Slack off. */
  SLACK_BOT_TOKEN?: string;
  /** mcpbot's bearer tokens per MCP server, `name:token, ...` (docs/mcp.md). */
  MCPBOT_MCP_TOKENS?: string;
}
interface Env extends OptionalSecrets {}
declare namespace Cloudflare {
  interface Env extends OptionalSecrets {}
}
