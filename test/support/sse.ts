/** TEST ONLY: a Server-Sent Events reader (runs in workerd and in Node). */

export type SseFrame = { id?: string; event?: string; data: string };

/** Reads frames from an SSE body as they arrive; comments (heartbeats) are counted, not returned. */
export class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  comments = 0;
  retry: number | undefined;

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next frame with data, or undefined once the server closed the stream. */
  async next(): Promise<SseFrame | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const frame = this.#parse(block);
        if (frame) return frame;
        continue;
      }
      const chunk = await this.#reader.read();
      if (chunk.done) return undefined;
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** Frames until the server closes the stream. */
  async rest(): Promise<SseFrame[]> {
    const frames: SseFrame[] = [];
    for (let f = await this.next(); f; f = await this.next()) frames.push(f);
    return frames;
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel();
  }

  #parse(block: string): SseFrame | undefined {
    const frame: SseFrame = { data: "" };
    let hasData = false;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") frame.id = value;
      else if (field === "event") frame.event = value;
      else if (field === "retry") this.retry = Number(value);
      else if (field === "data") {
        frame.data = hasData ? `${frame.data}\n${value}` : value;
        hasData = true;
      }
    }
    return hasData ? frame : undefined;
  }
}
