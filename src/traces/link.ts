import { traceIdOf } from "./ids";

/** A thread's trace as the API and console show it: its id, and a link when OTEL_TRACE_URL is set. */
export type TraceLink = { readonly id: string; readonly url?: string };

/**
 * OTEL_TRACE_URL is a template with `{traceId}` (e.g. `https://ui.honeycomb.io/acme/environments/prod/trace?trace_id={traceId}`
 * or Grafana's explore URL): the console links each thread's trace there. A template without
 * `{traceId}`, or not http(s), links nowhere. The id is shown either way: it is derived from
 * the thread id, so it is the same whether or not the export is on.
 */
export function traceLink(env: { OTEL_TRACE_URL?: string }, threadId: string): TraceLink {
  const id = traceIdOf(threadId);
  const template = env.OTEL_TRACE_URL?.trim();
  if (!template || !template.includes("{traceId}") || !/^https?:\/\//i.test(template)) return { id };
  return { id, url: template.replaceAll("{traceId}", id) };
}
