/**
 * The attribute names our spans carry. GenAI names come from the OpenTelemetry semantic
 * conventions package (its `incubating` entry, where the GenAI conventions still live);
 * `error.type` from its stable entry. What the conventions do not name (a thread's prompt
 * variant, the retry count, the human-request facts, the MCP server of a tool) is ours,
 * hand-typed under `edge_agents.*` and listed in docs/observability.md.
 */
import { ATTR_ERROR_TYPE } from "@opentelemetry/semantic-conventions";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_AGENT_VERSION,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from "@opentelemetry/semantic-conventions/incubating";

export const GENAI = {
  operation: ATTR_GEN_AI_OPERATION_NAME,
  provider: ATTR_GEN_AI_PROVIDER_NAME,
  agentName: ATTR_GEN_AI_AGENT_NAME,
  /** The agent's prompt version (content hash of its prompt file, Factor 2). */
  agentVersion: ATTR_GEN_AI_AGENT_VERSION,
  conversationId: ATTR_GEN_AI_CONVERSATION_ID,
  requestModel: ATTR_GEN_AI_REQUEST_MODEL,
  responseModel: ATTR_GEN_AI_RESPONSE_MODEL,
  inputTokens: ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  outputTokens: ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  toolName: ATTR_GEN_AI_TOOL_NAME,
  toolCallId: ATTR_GEN_AI_TOOL_CALL_ID,
  toolType: ATTR_GEN_AI_TOOL_TYPE,
  // Content: only with OTEL_CAPTURE_CONTENT=true.
  toolArguments: ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  toolResult: ATTR_GEN_AI_TOOL_CALL_RESULT,
  inputMessages: ATTR_GEN_AI_INPUT_MESSAGES,
  outputMessages: ATTR_GEN_AI_OUTPUT_MESSAGES,
  errorType: ATTR_ERROR_TYPE,
} as const;

export const OPERATION = {
  chat: GEN_AI_OPERATION_NAME_VALUE_CHAT,
  executeTool: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  invokeAgent: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
} as const;

/** The model is called through the OpenAI SDK on its wire protocol, whatever serves it. */
export const PROVIDER_OPENAI = GEN_AI_PROVIDER_NAME_VALUE_OPENAI;

/** Hand-typed: the conventions have no name for these (docs/observability.md lists them). */
export const OURS = {
  variant: "edge_agents.variant",
  threadStatus: "edge_agents.thread.status",
  depth: "edge_agents.delegation.depth",
  parentThread: "edge_agents.parent.thread_id",
  forkedFrom: "edge_agents.fork.from_thread_id",
  forkedAtSeq: "edge_agents.fork.at_seq",
  purpose: "edge_agents.model.purpose",
  retryCount: "edge_agents.model.retry_count",
  decidedTool: "edge_agents.model.decided_tool",
  tokensBefore: "edge_agents.compaction.tokens_before",
  tokensAfter: "edge_agents.compaction.tokens_after",
  toolOutcome: "edge_agents.tool.outcome",
  toolAttempts: "edge_agents.tool.attempts",
  truncatedFrom: "edge_agents.tool.truncated_from_bytes",
  mcpServer: "edge_agents.mcp.server",
  childThread: "edge_agents.child.thread_id",
  humanKind: "edge_agents.human.kind",
  humanReason: "edge_agents.human.reason",
  humanRequestId: "edge_agents.human.request_id",
  humanChannels: "edge_agents.human.channels",
  humanDelivered: "edge_agents.human.delivered_channels",
  humanOutcome: "edge_agents.human.outcome",
  humanAnsweredBy: "edge_agents.human.answered_by",
  humanAnsweredVia: "edge_agents.human.answered_via",
  humanEscalated: "edge_agents.human.escalated",
  humanOnTimeout: "edge_agents.human.on_timeout",
  humanAnswer: "edge_agents.human.answer",
  linkKind: "edge_agents.link",
} as const;
