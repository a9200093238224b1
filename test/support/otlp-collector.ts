/**
 * TEST ONLY: an OTLP/HTTP collector stand-in for the workers project (http://otlp.test).
 * The Worker under test sends it OTLP JSON (OTEL_EXPORTER_OTLP_PROTOCOL=http/json): the
 * protobuf encoding is decoded with the official proto definitions in Node
 * (test/traces/otlp.test.ts) and end to end (test/e2e/traces.test.ts).
 */
export type ReceivedSpan = { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes: Record<string, unknown> };

type OtlpJson = {
  resourceSpans?: { scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: { key: string; value: Record<string, unknown> }[] }[] }[] }[];
};

export class OtlpCollector {
  /** Every request that was acknowledged (2xx), in order: one batch each. */
  readonly batches: ReceivedSpan[][] = [];
  /** Requests answered with an error, in order. */
  readonly refused: number[] = [];
  /** Answer the next N requests with this status (503 by default). */
  failNext = 0;
  failStatus = 503;
  /** Accept the next N requests, then answer 500 as if the acknowledgement was lost. */
  loseAckNext = 0;
  /** While set, requests wait for it before they are answered (a collector that hangs). */
  hold: Promise<void> | undefined;
  /** Requests that arrived, answered or not. */
  arrived = 0;

  async fetch(request: Request): Promise<Response> {
    const body = (await request.json()) as OtlpJson;
    this.arrived++;
    if (this.hold) await this.hold;
    if (this.failNext > 0) {
      this.failNext--;
      this.refused.push(this.failStatus);
      return new Response("collector down", { status: this.failStatus });
    }
    const spans = (body.resourceSpans ?? []).flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
    this.batches.push(
      spans.map((s) => ({
        traceId: s.traceId,
        spanId: s.spanId,
        ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
        name: s.name,
        attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]])),
      })),
    );
    if (this.loseAckNext > 0) {
      this.loseAckNext--;
      this.refused.push(500);
      return new Response("ack lost", { status: 500 });
    }
    return new Response("{}", { headers: { "content-type": "application/json" } });
  }

  /** Every span received for one trace. */
  spansOf(traceId: string): ReceivedSpan[] {
    return this.batches.flat().filter((s) => s.traceId === traceId);
  }
}
