/// <reference types="node" />
/** BENCH ONLY: the deployable bundle's size, from `wrangler deploy --dry-run` on the root wrangler.toml. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

export async function bundleSize(root: string): Promise<{ raw: number; gzip: number }> {
  const out = mkdtempSync(join(tmpdir(), "edge-agents-bundle-"));
  try {
    execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    let raw = 0;
    let gzip = 0;
    for (const name of readdirSync(out)) {
      const path = join(out, name);
      // Source maps are not uploaded; prompt modules (.md) are.
      if (!statSync(path).isFile() || name.endsWith(".map") || name === "README.md") continue;
      const bytes = readFileSync(path);
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    return { raw, gzip };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
