/**
 * BENCH ONLY (and tests): counts what Cloudflare bills a Durable Object for, rows read and
 * rows written, by wrapping its storage. Every `sql.exec` cursor is kept and its own
 * `rowsRead` / `rowsWritten` summed when asked (cursors count as they are consumed); the
 * key-value calls and alarms the Agent SDK makes count one row per key, and each
 * `setAlarm` / `deleteAlarm` counts as one row written, as the pricing page says.
 */
export type Rows = { readonly read: number; readonly written: number };

export class SqlMeter {
  readonly #cursors: Metered[] = [];
  readonly #calls: { query: string; read: number; written: number }[] = [];

  /** A SqlStorage whose every statement this meter counts. */
  sql(target: SqlStorage): SqlStorage {
    const cursors = this.#cursors;
    return forward(target, {
      exec: (query: string, ...bindings: unknown[]) => {
        const cursor = target.exec(query, ...bindings);
        cursors.push({ query, cursor });
        return cursor;
      },
    });
  }

  /**
   * Counts everything this object's storage does from now on, the Agent SDK's own calls
   * included: workerd will not take a proxy for the state its base class is built with, so
   * the storage prototypes are patched once per isolate and each call is credited to the
   * meter registered for its storage (other objects in the isolate are not counted).
   */
  attach(ctx: DurableObjectState): void {
    patchPrototypes(ctx.storage);
    sqlMeters.set(ctx.storage.sql, this.#cursors);
    const kv = (ctx.storage as { kv?: object }).kv;
    if (kv) kvOwnerOf.set(kv, ctx.storage);
    storageMeters.set(ctx.storage, (name, read, written) => {
      this.#calls.push({ query: name, read, written });
    });
  }

  /** Rows read and written since the last call. */
  take(): Rows {
    const { read, written } = this.detail().reduce((t, d) => ({ read: t.read + d.read, written: t.written + d.written }), { read: 0, written: 0 });
    return { read, written };
  }

  /** Rows read and written since the last call, per statement (or storage call), most written first. */
  detail(): { query: string; calls: number; read: number; written: number }[] {
    const by = new Map<string, { query: string; calls: number; read: number; written: number }>();
    const add = (query: string, read: number, written: number) => {
      const key = query.replace(/\s+/g, " ").slice(0, 120);
      const row = by.get(key) ?? { query: key, calls: 0, read: 0, written: 0 };
      row.calls += 1;
      row.read += read;
      row.written += written;
      by.set(key, row);
    };
    for (const { query, cursor } of this.#cursors) add(query, cursor.rowsRead, cursor.rowsWritten);
    for (const call of this.#calls) add(call.query, call.read, call.written);
    this.#cursors.length = 0;
    this.#calls.length = 0;
    return [...by.values()].sort((a, b) => b.written - a.written || b.read - a.read);
  }
}

type Cursor = SqlStorageCursor<Record<string, SqlStorageValue>>;
type Metered = { readonly query: string; readonly cursor: Cursor };
const sqlMeters = new WeakMap<object, Metered[]>();
const storageMeters = new WeakMap<object, (name: string, read: number, written: number) => void>();
const kvOwnerOf = new WeakMap<object, object>();
let patched = false;

/** Rows a key-value call touches: one per key. */
const keys = (k: unknown) => (Array.isArray(k) ? k.length : typeof k === "object" && k !== null ? Object.keys(k).length : 1);
const COSTS: Record<string, (first: unknown) => [read: number, written: number]> = {
  setAlarm: () => [0, 1],
  deleteAlarm: () => [0, 1],
  put: (k) => [0, keys(k)],
  delete: (k) => [0, keys(k)],
  get: (k) => [keys(k), 0],
};

type Method = (this: object, ...args: unknown[]) => unknown;

function patchPrototypes(storage: DurableObjectStorage): void {
  if (patched) return;
  patched = true;
  const sqlProto = Object.getPrototypeOf(storage.sql) as Record<string, Method>;
  const exec = sqlProto["exec"] as Method;
  sqlProto["exec"] = function (this: object, ...args: unknown[]) {
    const cursor = exec.apply(this, args) as Cursor;
    sqlMeters.get(this)?.push({ query: String(args[0]), cursor });
    return cursor;
  };
  // The synchronous key-value API (storage.kv) is credited to the storage it belongs to.
  const kv = (storage as { kv?: object }).kv;
  for (const [proto, owner] of [
    [Object.getPrototypeOf(storage) as Record<string, Method>, (self: object) => self],
    ...(kv ? [[Object.getPrototypeOf(kv) as Record<string, Method>, (self: object) => kvOwnerOf.get(self) ?? self] as const] : []),
  ] as const) {
    for (const [name, cost] of Object.entries(COSTS)) {
      const original = proto[name];
      if (typeof original !== "function") continue;
      proto[name] = function (this: object, ...args: unknown[]) {
        storageMeters.get(owner(this))?.(`storage.${name}`, ...cost(args[0]));
        return original.apply(this, args);
      };
    }
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
