/**
 * BENCH ONLY (and tests): counts what Cloudflare bills a Durable Object for, rows read and
 * rows written, by wrapping its storage. Every `sql.exec` cursor is kept and its own
 * `rowsRead` / `rowsWritten` summed when asked (cursors count as they are consumed); the
 * key-value calls and alarms the Agent SDK makes count one row per key, and each
 * `setAlarm` / `deleteAlarm` counts as one row written, as the pricing page says.
 */
export type Rows = { readonly read: number; readonly written: number };

export class SqlMeter {
  readonly #cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  #read = 0;
  #written = 0;

  /** A SqlStorage whose every statement this meter counts. */
  sql(target: SqlStorage): SqlStorage {
    const cursors = this.#cursors;
    return forward(target, {
      exec: (query: string, ...bindings: unknown[]) => {
        const cursor = target.exec(query, ...bindings);
        cursors.push(cursor);
        return cursor;
      },
    });
  }

  /** A DurableObjectState whose storage (SQL, key-value, alarms) this meter counts. */
  state(ctx: DurableObjectState): DurableObjectState {
    const storage = ctx.storage;
    const keys = (k: unknown) => (Array.isArray(k) ? k.length : typeof k === "object" && k !== null ? Object.keys(k).length : 1);
    const meteredStorage = forward(storage, {
      sql: this.sql(storage.sql),
      setAlarm: (...args: Parameters<DurableObjectStorage["setAlarm"]>) => ((this.#written += 1), storage.setAlarm(...args)),
      deleteAlarm: (...args: Parameters<DurableObjectStorage["deleteAlarm"]>) => ((this.#written += 1), storage.deleteAlarm(...args)),
      put: (k: unknown, ...rest: unknown[]) => ((this.#written += keys(k)), (storage.put as (...a: unknown[]) => unknown)(k, ...rest)),
      delete: (k: unknown, ...rest: unknown[]) => ((this.#written += keys(k)), (storage.delete as (...a: unknown[]) => unknown)(k, ...rest)),
      get: (k: unknown, ...rest: unknown[]) => ((this.#read += keys(k)), (storage.get as (...a: unknown[]) => unknown)(k, ...rest)),
    });
    return forward(ctx, { storage: meteredStorage });
  }

  /** Rows read and written since the last call. */
  take(): Rows {
    let read = this.#read;
    let written = this.#written;
    for (const cursor of this.#cursors) {
      read += cursor.rowsRead;
      written += cursor.rowsWritten;
    }
    this.#cursors.length = 0;
    this.#read = 0;
    this.#written = 0;
    return { read, written };
  }
}

/** A proxy that answers `overrides` itself and forwards everything else, bound to the real object (native objects check `this`). */
function forward<T extends object>(target: T, overrides: Record<string, unknown>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (typeof prop === "string" && prop in overrides) return overrides[prop];
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}
