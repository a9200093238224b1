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
  /** OTLP/HTTP trace export (docs/observability.md): headers for the collector, `k=v,k=v` (API keys: a secret). */
  OTEL_EXPORTER_OTLP_HEADERS?: string;
  // The rest of the OTEL_* settings are plain vars, all optional: no endpoint = export off.
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  OTEL_EXPORTER_OTLP_PROTOCOL?: string;
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?: string;
  OTEL_SERVICE_NAME?: string;
  OTEL_CAPTURE_CONTENT?: string;
  /** A plain var: `info` (default) logs a line per request, step and timer wake; `warn` keeps warnings and errors (docs/operations.md). */
  LOG_LEVEL?: string;
  /** A link template for the trace in your tracing tool, with `{traceId}`: the console links each thread to it. */
  OTEL_TRACE_URL?: string;
}
interface Env extends OptionalSecrets {}
declare namespace Cloudflare {
  interface Env extends OptionalSecrets {}
}
