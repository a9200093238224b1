/**
 * TEST ONLY: agents on MCP servers for the workers tests. mcp-probe uses the ledger
 * (mcp-ledger.ts) with its token from a header function, as a production agent takes it from
 * a secret; mcp-down also names a server that refuses every connection.
 */
import { defineAgent, doneForNow, requestMoreInformation } from "../../src/agents/define";
import type { McpServerInput } from "../../src/agents/mcp";
import { LEDGER_TOKEN } from "./harness";

const ledgerServer: McpServerInput = {
  name: "ledger",
  url: () => "http://ledger.test/mcp",
  headers: () => ({ authorization: `Bearer ${LEDGER_TOKEN}` }),
};

const common = {
  prompt: { file: "test", template: "You are {{agent}}. Tools:\n{{tools}}" },
  tools: [requestMoreInformation, doneForNow],
};

export const mcpProbe = defineAgent({ name: "mcp-probe", description: "TEST ONLY: uses the ledger MCP server.", ...common, mcp: { servers: [ledgerServer] } });

export const mcpDown = defineAgent({
  name: "mcp-down",
  description: "TEST ONLY: the ledger, and a server that is down.",
  ...common,
  mcp: { servers: [ledgerServer, { name: "down", url: () => "http://down.test/mcp" }] },
});
