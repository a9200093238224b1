import template from "../../../prompts/mcpbot.md";
import { defineAgent, doneForNow, requestMoreInformation } from "../define";
import type { McpServerInput } from "../mcp";

/**
 * MCP example (docs/mcp.md): an agent whose tools all come from MCP servers named in the var
 * MCPBOT_MCP_SERVERS (`name=url, name=url`), each with the bearer token the secret
 * MCPBOT_MCP_TOKENS gives it (`name:token, ...`). Unset: listed with no MCP tools, and a
 * launch answers 409 agent_not_configured.
 */
export const mcpbot = defineAgent({
  name: "mcpbot",
  description: "Works with the tools of the MCP servers this deployment connects it to; changes wait for a human's approval.",
  prompt: { file: "prompts/mcpbot.md", template },
  tools: [requestMoreInformation, doneForNow],
  mcp: {
    servers: (env) => mcpbotServers(env.MCPBOT_MCP_SERVERS, env.MCPBOT_MCP_TOKENS),
    unconfigured: "mcpbot is not configured: set the var MCPBOT_MCP_SERVERS to `name=url, name=url` (and the secret MCPBOT_MCP_TOKENS to `name:token, ...` for servers that need a token).",
  },
});

/** `name=url, name=url` with tokens `name:token, ...`; malformed entries are skipped (resolveServers checks names and URLs). */
export function mcpbotServers(servers: string | undefined, tokens: string | undefined): McpServerInput[] {
  const tokenOf = new Map(
    (tokens ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry.includes(":"))
      .map((entry) => [entry.slice(0, entry.indexOf(":")).trim(), entry.slice(entry.indexOf(":") + 1).trim()] as const),
  );
  return (servers ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.includes("="))
    .map((entry) => {
      const name = entry.slice(0, entry.indexOf("=")).trim();
      const url = entry.slice(entry.indexOf("=") + 1).trim();
      const token = tokenOf.get(name);
      return { name, url: () => url, ...(token ? { headers: () => ({ authorization: `Bearer ${token}` }) } : {}) };
    });
}
