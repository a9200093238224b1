import { z } from "zod";

/**
 * DEMO ONLY: a rule-based stand-in for a model, so `npm run dev` works on a fresh clone
 * with no API key (set `MODEL=demo`). It speaks the OpenAI Chat Completions wire protocol
 * as a `fetch` handed to the real `openai` client, so every request and answer still goes
 * through the production code path; it just never leaves the process. It knows deploybot's
 * tools well enough for the README tour (list tags, deploy, wait for approval, report) and
 * answers every other agent with its finishing tool. Never use it for real work.
 */
export const DEMO_MODEL = "demo";
export const DEMO_BASE_URL = "http://demo-model.invalid/v1";

const ChatRequest = z.object({
  messages: z.array(z.object({ role: z.string(), content: z.string().nullish() })),
  tools: z.array(z.object({ function: z.object({ name: z.string() }) })).default([]),
});

type Call = { readonly name: string; readonly args: Record<string, unknown> };

export const demoModelFetch: typeof fetch = async (input, init) => {
  const body = ChatRequest.safeParse(JSON.parse(typeof init?.body === "string" ? init.body : "{}"));
  if (!body.success) return Response.json({ error: { message: "demo model: unreadable request" } }, { status: 400 });
  const tools = new Set(body.data.tools.map((t) => t.function.name));
  const thread = body.data.messages.filter((m) => m.role === "user").map((m) => m.content ?? "").join("\n");
  void input;
  // A request with no tools is the runtime's summary of old context (src/model/summarise.ts).
  if (tools.size === 0) {
    const content = `DEMO summary: ${thread.length} characters of earlier events.`;
    return Response.json({ id: "chatcmpl-demo", object: "chat.completion", created: 0, model: DEMO_MODEL, choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content } }] });
  }
  const call = decideDemo(thread, tools);
  return Response.json({
    id: "chatcmpl-demo",
    object: "chat.completion",
    created: 0,
    model: DEMO_MODEL,
    choices: [
      {
        index: 0,
        finish_reason: "tool_calls",
        message: {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_demo", type: "function", function: { name: call.name, arguments: JSON.stringify(call.args) } }],
        },
      },
    ],
    usage: { prompt_tokens: Math.ceil(thread.length / 4), completion_tokens: 12, total_tokens: Math.ceil(thread.length / 4) + 12 },
  });
};

/** The rendered thread (tagged blocks, oldest first) in, one tool call out. */
export function decideDemo(thread: string, tools: ReadonlySet<string>): Call {
  const finish = (message: string): Call =>
    tools.has("done_for_now") ? { name: "done_for_now", args: { message } } : { name: "request_more_information", args: { message } };
  if (!tools.has("deploy_backend")) return finish("DEMO model: this agent has no demo script, so it finishes at once.");

  const blocks = [...thread.matchAll(/<([a-z_]+)[^>]*>\n([\s\S]*?)\n<\/\1>/g)].map((m) => ({ tag: m[1] ?? "", body: m[2] ?? "" }));
  const last = blocks[blocks.length - 1];
  const asked = blocks.filter((b) => b.tag === "user_message").map((b) => b.body).join("\n");
  const deployed = blocks.find((b) => /^deploy_(backend|frontend)_result$/.test(b.tag));
  if (deployed) return finish(`Done: ${oneLine(deployed.body)}`);
  if (last?.tag === "human_timeout") return finish("Nobody approved the deploy before the deadline, so nothing was deployed.");
  if (last?.tag === "human_response" && /approved: false/.test(last.body)) return finish("The deploy was rejected, so nothing was deployed.");
  if (last?.tag === "error") return finish(`The deploy did not happen: ${oneLine(last.body)}`);

  const environment = /\bprod(uction)?\b/i.test(asked) ? "production" : "staging";
  const service = /\bfrontend\b/i.test(asked) ? "frontend" : "backend";
  const tags = blocks.find((b) => b.tag === "list_git_tags_result");
  const tag = asked.match(/\bv\d+\.\d+\.\d+\b/)?.[0] ?? tags?.body.match(/\bv\d+\.\d+\.\d+\b/)?.[0];
  if (!tag) return tags ? finish("There are no tags to deploy.") : { name: "list_git_tags", args: {} };
  return { name: `deploy_${service}`, args: { tag, environment } };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").slice(0, 300);
}
