import { defineConfig } from "vitest/config";

// The pure core's tests alone, in plain Node: what `npm run mutate` (stryker.config.mjs)
// runs against each mutant of src/core. The workers and e2e projects need workerd or
// wrangler dev, which Stryker's in-process Vitest runner cannot drive.
export default defineConfig({
  test: {
    retry: 0,
    include: ["test/core/**/*.test.ts"],
    // purity.test.ts reads the source text, which Stryker rewrites (globalThis.__stryker__...);
    // it checks imports and banned calls, which no mutant changes.
    exclude: ["test/core/purity.test.ts"],
    environment: "node",
    // Read by test/core/snapshot.test.ts to skip the reducer-source hash check (see there).
    env: { MUTATION_RUN: "1" },
  },
});
