/** TEST ONLY: the agents the test Worker serves (production ones plus the probes). */
import { agentRegistry } from "../../src/agents";
import { deploybot } from "../../src/agents/deploybot";
import { digestAgent } from "../../src/agents/digest";
import { releasebot } from "../../src/agents/releasebot";
import { mcpbot } from "../../src/agents/mcpbot";
import { boss } from "./composition-agents";
import { brittleAgent, tight } from "./context-agents";
import { clock, mailbox } from "./harness";
import { probe } from "./probe-agent";
import { scout } from "./scout-agent";
import { slacker } from "./slack-agent";
import { mcpDown, mcpProbe } from "./mcp-agent";

export const agents = agentRegistry([deploybot, mcpbot, mcpProbe, mcpDown, probe, releasebot, boss, scout, slacker, tight, brittleAgent, digestAgent({ send: (env, mail) => mailbox.send(env, mail), now: () => clock.now() })]);
