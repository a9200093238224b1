/// <reference types="node" />
/**
 * TEST ONLY: a real OTLP/HTTP trace receiver served from Node, outside the Worker's process
 * (so it keeps its record while `wrangler dev` is killed). It decodes every request with
 * the official OpenTelemetry protobuf definitions (test/support/otlp-decode.ts), protobuf
 * or JSON by content type, and can answer 503 for a while or hold a request unanswered.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeOtlp, type DecodedSpan } from "../../support/otlp-decode";

export type OtlpRequest = {
  readonly contentType: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The raw bytes, to check what never goes out (content capture off). */
  readonly body: Buffer;
  readonly spans: DecodedSpan[];
  /** What the receiver answered; "held" when it never did (the Worker died first). */
  status: number | "held";
};

export type OtlpReceiver = {
  readonly url: string;
  readonly requests: OtlpRequest[];
  /** Answer every request with 503 until told otherwise. */
  down: boolean;
  /** Hold the next request unanswered; resolves when it has arrived. */
  holdNext(): Promise<OtlpRequest>;
  /** Spans of acknowledged (2xx) requests for one trace. */
  acknowledged(traceId: string): DecodedSpan[];
  close(): Promise<void>;
};

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  let hold: ((request: OtlpRequest) => void) | undefined;
  const receiver: OtlpReceiver = {
    url: "",
    requests,
    down: false,
    holdNext: () => new Promise<OtlpRequest>((resolve) => (hold = resolve)),
    acknowledged: (traceId) => requests.filter((r) => r.status === 200).flatMap((r) => r.spans.filter((s) => s.traceId === traceId)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const contentType = req.headers["content-type"] ?? "";
      const body = Buffer.concat(chunks);
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      let spans: DecodedSpan[];
      try {
        spans = decodeOtlp(body, contentType);
      } catch (error) {
        res.writeHead(400, { "content-type": "text/plain" }).end(`undecodable: ${String(error)}`);
        return;
      }
      const request: OtlpRequest = { contentType, headers: req.headers, body, spans, status: 200 };
      requests.push(request);
      if (hold) {
        request.status = "held";
        hold(request);
        hold = undefined;
        return; // never answered: the Worker is killed while it waits
      }
      if (receiver.down) {
        request.status = 503;
        res.writeHead(503, { "content-type": "text/plain" }).end("collector unavailable");
        return;
      }
      res.writeHead(200, { "content-type": contentType.includes("json") ? "application/json" : "application/x-protobuf" }).end(contentType.includes("json") ? "{}" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(receiver, { url: `http://127.0.0.1:${port}` });
  return receiver;
}
