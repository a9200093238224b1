import type { AgentDefinition, ToolDefinition } from "../../agents";
import type { ApprovalPolicy, EditCheck, JsonObject } from "../../core";

// A tool's approval policy read for one call (invariant 13): who may approve, how many
// distinct approvals it needs, whether its requester may give one, which fields a human may
// edit. Read from the tool and the environment when a request is asked, and again on the
// edited arguments when someone edits (an edit to production needs production's approvals).

export type RequestPolicy = {
  readonly approvers?: string[];
  readonly required?: number;
  readonly selfApproval?: false;
  readonly editable?: string[];
};

/** The policy fields of a human_requested event; only non-defaults, so a plain tool's request looks as before. */
export function requestPolicy(tool: ToolDefinition | undefined, env: Env): { ok: true; value: RequestPolicy } | { ok: false; message: string } {
  const read = readPolicy(tool, env);
  if (!read.ok) return read;
  const { approvers, required, selfApproval } = read.value;
  const editable = tool && tool.intent === "act" ? tool.editable : undefined;
  return {
    ok: true,
    value: {
      ...(approvers.length > 0 ? { approvers } : {}),
      ...(required > 1 ? { required } : {}),
      ...(selfApproval ? {} : { selfApproval: false as const }),
      ...(editable?.length ? { editable: [...editable] } : {}),
    },
  };
}

/**
 * For the core's edit check: the edited arguments must parse with the tool's schema, and the
 * policy is evaluated again on them (required 0 when they need no approval).
 */
export function editCheck(agent: AgentDefinition | undefined, env: Env): EditCheck {
  return (toolName, args) => {
    const tool = agent?.tool(toolName);
    if (!agent || !tool || tool.intent !== "act") return { ok: false, message: `No tool ${toolName} to check the edit against.` };
    const parsed = tool.input.safeParse(args);
    if (!parsed.success) {
      const details: JsonObject = { issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) };
      return { ok: false, message: `The edited arguments do not fit ${toolName}'s schema: ${parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ")}`.slice(0, 1_000), details };
    }
    const read = readPolicy(tool, env);
    if (!read.ok) return { ok: false, message: read.message };
    const needs = agent.catalog(toolName)?.needsApproval(args) ?? true;
    const { approvers, required, selfApproval } = read.value;
    const policy: ApprovalPolicy = { required: needs ? required : 0, selfApproval, ...(approvers.length > 0 ? { approvers } : {}) };
    return { ok: true, policy };
  };
}

function readPolicy(
  tool: ToolDefinition | undefined,
  env: Env,
): { ok: true; value: { approvers: string[]; required: number; selfApproval: boolean } } | { ok: false; message: string } {
  if (!tool || tool.intent !== "act") return { ok: true, value: { approvers: [], required: 1, selfApproval: true } };
  try {
    return {
      ok: true,
      value: {
        approvers: [...(tool.approvers?.(env) ?? [])],
        required: tool.approvalsRequired?.(env) ?? 1,
        selfApproval: tool.selfApproval?.(env) ?? true,
      },
    };
  } catch (error) {
    // A malformed setting is a value, not a throw: the caller fails the thread with it.
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `Tool ${tool.name} has a malformed approval policy: ${why} Fix the setting (e.g. DEPLOY_APPROVERS, DEPLOY_APPROVALS_REQUIRED, DEPLOY_SELF_APPROVAL) and launch the thread again.`.slice(0, 1_000) };
  }
}
