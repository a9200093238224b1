import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two kinds of test (STYLE.md): the pure core in plain Node, everything else in
// workerd through Cloudflare's Vitest integration, against real Durable Objects,
// SQLite and alarms. No retries: a flaky test is a bug.
export default defineConfig({
  test: {
    retry: 0,
    projects: [
      {
        test: {
          name: "core",
          include: ["test/core/**/*.test.ts"],
          environment: "node",
        },
      },
      {
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
                MAX_EMAIL_BYTES: "100000",
                EMAIL_ALLOWED_SENDERS: "alice@example.com, @trusted.example",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          // The first request in a fresh isolate pays ~2.5 s of module loading on a quiet
          // machine and 20 s on a loaded one; files pay it once in a warm-up beforeAll.
          testTimeout: 20_000,
          hookTimeout: 60_000,
          include: ["test/**/*.test.ts"],
          exclude: ["test/core/**", "test/e2e/**"],
        },
      },
      {
        // End to end in a real browser: `wrangler dev` and headless Chromium in their own
        // processes (test/e2e/support). Slow to start, so one generous timeout.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
