/// <reference types="node" />
/**
 * TEST ONLY: serves the scripted OpenAI-compatible model (test/support/scripted-model.ts)
 * from Node over real HTTP, so a `wrangler dev` Worker in another process can call it.
 */
import { serveFetch } from "./serve";
import { ScriptedModel, type GateFactory } from "../../support/scripted-model";

/** Gates as in-memory deferreds: model and test share this one Node process. */
function memoryGates(): GateFactory {
  const gates = new Map<string, { opened: Promise<void>; open: () => void; reached: Promise<void>; reach: () => void }>();
  return (name) => {
    let gate = gates.get(name);
    if (!gate) {
      let open!: () => void;
      let reach!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      const reached = new Promise<void>((r) => (reach = r));
      gate = { opened, open, reached, reach };
      gates.set(name, gate);
    }
    const g = gate;
    return {
      pass: async () => {
        g.reach();
        await g.opened;
      },
      get reached() {
        return g.reached;
      },
      open: async () => g.open(),
    };
  };
}

export type ModelServer = { model: ScriptedModel; baseUrl: string; close(): Promise<void> };

export async function startModelServer(): Promise<ModelServer> {
  const model = new ScriptedModel(memoryGates());
  const served = await serveFetch((request) => model.fetch(request), "model server");
  return { model, baseUrl: `${served.origin}/v1`, close: served.close };
}
