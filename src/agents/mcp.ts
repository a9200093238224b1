import { McpServerName } from "../core";

/** How code overrides the policy read from a tool's annotations (keyed by the tool's name on its server). */
export type McpToolPolicy = { readonly requiresApproval?: boolean; readonly idempotent?: boolean };

/** One MCP server an agent uses, over Streamable HTTP. Its URL and headers come from the environment. */
export type McpServerInput = {
  /** Prefixes the tools: the model sees `<name>_<tool>`. */
  readonly name: string;
  /** Empty or undefined = this server is not configured (left out). */
  readonly url: (env: Env) => string | undefined;
  /** Sent on every request, e.g. `authorization` from a secret. Never logged, never in an event. */
  readonly headers?: (env: Env) => Readonly<Record<string, string>>;
  /** Only these tools (names on the server); absent = every tool the server lists. */
  readonly allow?: readonly string[];
  readonly policy?: Readonly<Record<string, McpToolPolicy>>;
  /** How long one call may take. Default 30 s. */
  readonly timeoutMs?: number;
};

/** An agent's MCP servers: a fixed list, or one read from the environment (e.g. mcpbot's var). */
export type McpSetup = {
  readonly servers: readonly McpServerInput[] | ((env: Env) => readonly McpServerInput[]);
  /** What a launch answers when no server is configured. */
  readonly unconfigured?: string;
};

/** A server ready to be called: configured, with its URL and headers resolved. */
export type McpServer = {
  readonly name: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly allow?: readonly string[];
  readonly policy: Readonly<Record<string, McpToolPolicy>>;
  readonly timeoutMs: number;
};

export const DEFAULT_MCP_TIMEOUT_MS = 30_000;

/** Checked at definition for a fixed list (a bad name would otherwise fail at the first launch). */
export function checkServers(agent: string, servers: readonly McpServerInput[]): void {
  const seen = new Set<string>();
  for (const server of servers) {
    if (!McpServerName.safeParse(server.name).success) throw new Error(`${agent}: MCP server name "${server.name}" must be 1-20 lowercase letters, digits or '-'`);
    if (seen.has(server.name)) throw new Error(`${agent}: MCP server "${server.name}" is defined twice`);
    seen.add(server.name);
  }
}

/** The agent's servers that are configured in this environment; entries with a bad name or URL are left out. */
export function resolveServers(setup: McpSetup | undefined, env: Env): McpServer[] {
  if (!setup) return [];
  const inputs = typeof setup.servers === "function" ? setup.servers(env) : setup.servers;
  const out: McpServer[] = [];
  for (const input of inputs) {
    const url = input.url(env)?.trim();
    if (!url || !McpServerName.safeParse(input.name).success || !isHttpUrl(url)) continue;
    if (out.some((s) => s.name === input.name)) continue;
    out.push({
      name: input.name,
      url,
      headers: input.headers?.(env) ?? {},
      ...(input.allow ? { allow: input.allow } : {}),
      policy: input.policy ?? {},
      timeoutMs: input.timeoutMs ?? DEFAULT_MCP_TIMEOUT_MS,
    });
  }
  return out;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
