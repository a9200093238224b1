// Mutation testing (issue 16): does the suite notice when src/core is broken?
// `npm run mutate` mutates every file of the pure core, runs the core tests (in plain
// Node, vitest.mutate.config.ts) against each mutant, and writes reports/mutation/index.html.
// docs/proof.md lists the score and every surviving mutant with its reason.
//
// Incremental (issue 27): every run reads and rewrites test/mutation/stryker-incremental.json,
// the committed result of the last full run. `npm run mutate:incremental` (in .ci/run) then
// tests only mutants whose code changed, killed mutants whose killing test changed, and
// survivors that a new test covers; everything else is reused, so CI takes minutes, not the
// ~40 min of `npm run mutate` (which passes --force: every mutant, and a fresh file to commit).
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
  incremental: true,
  incrementalFile: "test/mutation/stryker-incremental.json",
  thresholds: { high: 90, low: 85, break: 85 },
};
