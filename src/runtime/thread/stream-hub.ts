import type { Event } from "../../core";
import type { StreamOptions } from "../thread-rpc";

// The live side of GET /v1/threads/{id}/stream. Each open stream is a cursor into the
// log: on every append the hub sends whatever lies past the cursor, read from the log
// itself, so an event is sent exactly once per stream and in seq order (no gap, no
// duplicate), and a reconnect with Last-Event-ID = the last seq seen continues exactly.


/** What the hub reads from the thread: its log past a seq, and whether it has ended. */
export type StreamSource = {
  events(after: number, limit: number): Event[];
  ended(): boolean;
};

const encoder = new TextEncoder();
const PAGE = 200;

/** One SSE frame per log event: `id: <seq>`, `event: <type>`, the event as JSON data. */
export function sseFrame(event: Event): string {
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

type Subscriber = { cursor: number; send(text: string): void; close(): void };

export class StreamHub {
  readonly #subscribers = new Set<Subscriber>();

  constructor(private readonly source: StreamSource) {}

  get open(): number {
    return this.#subscribers.size;
  }

  /** A byte stream of SSE frames for events after `after`, live until the thread ends or maxMs passes. */
  subscribe(after: number, options: StreamOptions): ReadableStream<Uint8Array> {
    let subscriber: Subscriber | undefined;
    let timers: ReturnType<typeof setInterval>[] = [];
    const stop = () => {
      for (const t of timers) clearInterval(t);
      timers = [];
      if (subscriber) this.#subscribers.delete(subscriber);
    };
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        let closed = false;
        subscriber = {
          cursor: after,
          send: (text) => {
            if (!closed) controller.enqueue(encoder.encode(text));
          },
          close: () => {
            if (closed) return;
            closed = true;
            stop();
            controller.close();
          },
        };
        this.#subscribers.add(subscriber);
        // Tells EventSource how soon to reconnect after maxMs ends the response.
        subscriber.send(`retry: 1000\n\n`);
        const s = subscriber;
        timers.push(setInterval(() => s.send(`: heartbeat\n\n`), options.heartbeatMs));
        timers.push(setInterval(() => s.close(), options.maxMs));
        this.#flush(subscriber);
      },
      cancel: () => stop(),
    });
  }

  /** The log grew (or the thread ended): every stream catches up from its own cursor. */
  notify(): void {
    for (const subscriber of this.#subscribers) this.#flush(subscriber);
  }

  #flush(subscriber: Subscriber): void {
    for (;;) {
      const page = this.source.events(subscriber.cursor, PAGE);
      for (const event of page) {
        subscriber.send(sseFrame(event));
        subscriber.cursor = event.seq;
      }
      if (page.length < PAGE) break;
    }
    if (this.source.ended()) subscriber.close();
  }
}
