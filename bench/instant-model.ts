/**
 * BENCH ONLY: an in-process "model" that answers every OpenAI Chat Completions request
 * at once with one scripted tool call (request_more_information), so a step costs only
 * the runtime: context rendering, the openai client, validation, appends, timers.
 * No network: the runtime's `fetch` dependency is this function.
 */
let ids = 0;

/** The message that makes this model end a thread. */
export const FINISH = "bench: finish now";

export async function instantModel(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  if (request.method !== "POST" || !new URL(request.url).pathname.endsWith("/chat/completions")) {
    return Response.json({ error: { message: `bench model: no route ${request.url}` } }, { status: 404 });
  }
  // Read the body as the real endpoint would, so its size counts in the step.
  const text = await request.text();
  const body = JSON.parse(text) as { model: string; tools?: unknown[] };
  // A summary request (compaction: no tools) gets plain text, as a real model gives: a long
  // thread is then compacted once, instead of retrying a failed summary every few steps.
  if (!body.tools?.length) {
    return Response.json({
      id: `chatcmpl-bench-${++ids}`,
      object: "chat.completion",
      created: 1_700_000_000,
      model: body.model,
      choices: [{ index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content: "Earlier: the user answered questions about which version to deploy." } }],
      usage: { prompt_tokens: 1000, completion_tokens: 12, total_tokens: 1012 },
    });
  }
  // A thread whose newest input asks to finish ends (the bench times the end of a run).
  const finish = text.includes(FINISH);
  const call = { message: finish ? "Deployed." : "Which version should I deploy?" };
  const tool = finish ? "done_for_now" : "request_more_information";
  return Response.json({
    id: `chatcmpl-bench-${++ids}`,
    object: "chat.completion",
    created: 1_700_000_000,
    model: body.model,
    choices: [
      {
        index: 0,
        finish_reason: "tool_calls",
        logprobs: null,
        message: {
          role: "assistant",
          content: null,
          tool_calls: [{ id: `call_${ids}`, type: "function", function: { name: tool, arguments: JSON.stringify(call) } }],
        },
      },
    ],
    usage: { prompt_tokens: 1000, completion_tokens: 12, total_tokens: 1012 },
  });
}
