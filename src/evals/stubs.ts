import type { EvalDirectory } from "./directory";
import type { EvalObject } from "./eval-object";

// Typed stubs. The methods return plain JSON data, so the classes' own signatures are the
// true RPC types (workerd's mapped RPC types recurse without end on our recursive `Json`).

export type EvalRpc = Pick<EvalObject, "start" | "started" | "lease" | "record" | "view" | "listItem" | "remove" | "settled">;
export type DirectoryRpc = Pick<EvalDirectory, "add" | "remove" | "list">;

export const evalStub = (env: Env, id: string): EvalRpc => env.EVALS.getByName(id) as unknown as EvalRpc;
export const directoryStub = (env: Env, agent: string): DirectoryRpc => env.EVAL_DIRECTORY.getByName(agent) as unknown as DirectoryRpc;

/** An agent's newest evals with their status, progress and agreement (the API's list and the console's). */
export async function evalList(env: Env, agent: string, limit: number) {
  const ids = await directoryStub(env, agent).list(limit);
  const items = await Promise.all(ids.map((id) => evalStub(env, id).listItem()));
  return items.filter((item) => item !== null);
}
