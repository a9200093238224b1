// Mutation testing (issue 16): does the suite notice when src/core is broken?
// `npm run mutate` mutates every file of the pure core, runs the core tests (in plain
// Node, vitest.mutate.config.ts) against each mutant, and writes reports/mutation/index.html.
// docs/proof.md lists the score and every surviving mutant with its reason.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts", related: false },
  mutate: ["src/core/**/*.ts", "!src/core/index.ts"],
  // Node checks types itself; a mutant the compiler would reject is still a mutant the tests must kill.
  checkers: [],
  coverageAnalysis: "perTest",
  concurrency: 2,
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: "node_modules/.cache/stryker-tmp",
  cleanTempDir: "always",
  thresholds: { high: 90, low: 85, break: 85 },
};
