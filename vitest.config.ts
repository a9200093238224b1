import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { createLogger } from "vite";
import { defineConfig } from "vitest/config";

// A dependency (cron-schedule, inside the agents SDK) ships source maps that name files it
// does not ship; Vite warns about each one on every run. Nothing to act on: drop those lines.
const logger = createLogger();
const warnOnce = logger.warnOnce.bind(logger);
logger.warnOnce = (message, options) => {
  if (!message.startsWith("Sourcemap for ")) warnOnce(message, options);
};
const warn = logger.warn.bind(logger);
logger.warn = (message, options) => {
  if (!message.startsWith("Sourcemap for ")) warn(message, options);
};

// Wrangler reads wrangler.toml once per test file and would print its notes about secrets
// each time; the tests pass every binding explicitly (below), so only its errors matter here.
// (The e2e project's `wrangler dev` processes set their own log level, see test/e2e/support.)
process.env["WRANGLER_LOG"] ??= "error";

// Three kinds of test (docs/testing.md): the pure core in plain Node, everything else in
// workerd through Cloudflare's Vitest integration, against real Durable Objects,
// SQLite and alarms, and end to end against `wrangler dev`. No retries: a flaky test is a bug.
export default defineConfig({
  customLogger: logger,
  test: {
    retry: 0,
    // The Worker logs one JSON line per request and step (docs/operations.md): print them
    // only for a failing test, where they explain what happened.
    silent: "passed-only",
    // Every hook and test has an explicit budget; none relies on Vitest's defaults, which a
    // busy machine can exceed (the suite must pass with a second copy running beside it).
    hookTimeout: 60_000,
    // Vitest's default is one worker per core minus one: a single worker on this 2-core
    // machine. The end-to-end files mostly wait on the real clock, so a second worker runs
    // them beside the workers project instead of after it.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "core",
          include: ["test/core/**/*.test.ts", "test/traces/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
      {
        customLogger: logger,
        plugins: [
          cloudflareTest({
            // The test entry serves the production agents plus test-only probe agents,
            // and routes the model client to the scripted OpenAI-compatible server.
            main: "./test/support/worker.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              // TEST ONLY: gates that hold a tool or model call until a test opens them.
              durableObjects: { TEST_GATES: "TestGate" },
              // The suite fires thousands of requests with one credential (100 duplicates at
              // once, fuzzers): production's limits would turn them into 429s. The limiter
              // itself is tested through TEST_TIGHT_RATE_LIMIT (test/triggers/limits.test.ts).
              ratelimits: {
                API_RATE_LIMIT: { namespace_id: "1001", simple: { limit: 1_000_000, period: 60 } },
                WEBHOOK_RATE_LIMIT: { namespace_id: "1002", simple: { limit: 1_000_000, period: 60 } },
                TEST_TIGHT_RATE_LIMIT: { namespace_id: "1999", simple: { limit: 3, period: 60 } },
              },
              bindings: {
                API_TOKEN: "test-token",
                // Named credentials (invariant 10): each answer records the credential's name.
                API_TOKENS: "release-manager:rm-token-1234, intern:intern-token-1234",
                MODEL: "scripted-model",
                OPENAI_API_KEY: "sk-test",
                OPENAI_BASE_URL: "http://scripted-model.test/v1",
                DEPLOY_TARGET_URL: "",
                DEPLOY_TARGET_TOKEN: "",
                HUMAN_LINK_SECRET: "test-link-secret",
                HUMAN_WEBHOOK_URL: "http://human-webhook.test/hook",
                HUMAN_WEBHOOK_SECRET: "webhook-secret",
                ESCALATION_CONTACT: "@oncall",
                EMAIL_DOMAIN: "agents.test",
                OPERATOR_EMAIL: "ops@agents.test",
                WEBHOOK_SECRET_GITHUB: "github-test-secret",
                WEBHOOK_SECRET_SLACK: "slack-test-secret",
                // TEST ONLY: Slack is on, against the stand-in (test/support/slack.ts). No
                // SLACK_APPROVAL_CHANNEL: only agents with their own channel post to Slack.
                SLACK_BOT_TOKEN: "xoxb-test-bot-token",
                SLACK_API_URL: "http://slack.test/api",
                // Who may launch from Slack: Alice anywhere, the whole T0OPS workspace, Dave only in T0ACME.
                SLACK_ALLOWED_USERS: "U0ALICE, T0OPS, T0ACME:U0DAVE",
                MAX_EMAIL_BYTES: "100000",
                EMAIL_ALLOWED_SENDERS: "alice@example.com, @trusted.example",
                // The console links each thread's trace here; no OTEL endpoint, so nothing is exported
                // (test/runtime/trace-export.test.ts switches the export on per thread).
                OTEL_TRACE_URL: "https://traces.example/explore?trace={traceId}",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          // One workerd runtime serves every file of a worker instead of one runtime per file:
          // starting workerd and loading the modules again for each of 55 files cost ~4 of the
          // suite's 7.5 minutes. Files share Durable Object storage, so no two files use the same
          // thread id, and no test assumes an index, list or digest holds only its own threads.
          // Order-independence is checked with `vitest run --project workers --sequence.shuffle`.
          isolate: false,
          // The first request in a fresh runtime pays ~2.5 s of module loading (more when busy).
          testTimeout: 60_000,
          hookTimeout: 60_000,
          include: ["test/**/*.test.ts"],
          exclude: ["test/core/**", "test/traces/**", "test/e2e/**"],
        },
      },
      {
        // End to end in a real browser: `wrangler dev` and headless Chromium in their own
        // processes (test/e2e/support). Slow to start, so one generous timeout.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
