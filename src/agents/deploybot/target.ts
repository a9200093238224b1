import { z } from "zod";
import type { Json } from "../../core";

export const Environment = z.enum(["staging", "production"]);
export type Environment = z.infer<typeof Environment>;
export type Service = "backend" | "frontend";

/** Where deploybot deploys. Pluggable: a real HTTP target from configuration, or the demo. */
export type DeployTarget = {
  readonly label: string;
  listTags(signal: AbortSignal): Promise<Json>;
  deploy(request: { service: Service; tag: string; environment: Environment }, signal: AbortSignal): Promise<Json>;
};

/**
 * DEMO ONLY: an in-memory stand-in so the example runs locally with no outside
 * service. It deploys nothing; every result says so.
 */
export const demoTarget: DeployTarget = {
  label: "demo (nothing is really deployed)",
  async listTags() {
    return {
      demo: true,
      tags: [
        { name: "v1.2.3", commit: "a1b2c3d", date: "2026-11-20T10:00:00Z" },
        { name: "v1.2.2", commit: "e4f5a6b", date: "2026-11-13T10:00:00Z" },
        { name: "v1.2.1", commit: "c7d8e9f", date: "2026-11-06T10:00:00Z" },
      ],
    };
  },
  async deploy({ service, tag, environment }) {
    return { demo: true, status: "deployed", service, tag, environment, note: "DEMO target: nothing was deployed." };
  },
};

/**
 * A real target: a deploy service reachable over HTTPS.
 *   GET  {url}/tags            -> JSON list of tags
 *   POST {url}/deployments     {service, tag, environment} -> JSON result
 * Both with `Authorization: Bearer {token}` when a token is set.
 */
export function httpTarget(url: string, token: string | undefined, fetcher: typeof fetch): DeployTarget {
  const base = url.replace(/\/+$/, "");
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers["authorization"] = `Bearer ${token}`;
  const call = async (path: string, init: RequestInit): Promise<Json> => {
    const response = await fetcher(`${base}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    const text = await response.text();
    if (!response.ok) throw new Error(`deploy target answered ${response.status}: ${text.slice(0, 300)}`);
    try {
      return JSON.parse(text) as Json;
    } catch {
      return text;
    }
  };
  return {
    label: base,
    listTags: (signal) => call("/tags", { method: "GET", signal }),
    deploy: (request, signal) =>
      call("/deployments", {
        method: "POST",
        body: JSON.stringify(request),
        headers: { "content-type": "application/json" },
        signal,
      }),
  };
}

export function targetFrom(env: Env, fetcher: typeof fetch): DeployTarget {
  return env.DEPLOY_TARGET_URL ? httpTarget(env.DEPLOY_TARGET_URL, env.DEPLOY_TARGET_TOKEN || undefined, fetcher) : demoTarget;
}
