import { DurableObject } from "cloudflare:workers";
import { z } from "zod";

/** Each agent's evals, newest first, for `GET /v1/agents/{agent}/evals`. One object per agent. */
export class EvalDirectory extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS evals (id TEXT PRIMARY KEY, created_at TEXT NOT NULL)");
  }

  add(id: string, createdAt: string): void {
    this.ctx.storage.sql.exec("INSERT OR IGNORE INTO evals (id, created_at) VALUES (?, ?)", id, createdAt);
  }

  remove(id: string): void {
    this.ctx.storage.sql.exec("DELETE FROM evals WHERE id = ?", id);
  }

  list(limit: number): string[] {
    const rows = this.ctx.storage.sql.exec("SELECT id FROM evals ORDER BY created_at DESC, id DESC LIMIT ?", limit).toArray();
    return rows.map((r) => z.object({ id: z.string() }).parse(r).id);
  }
}
