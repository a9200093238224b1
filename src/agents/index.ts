import { agentRegistry } from "./define";
import { deploybot } from "./deploybot";

export * from "./define";
export * from "./delegate";
export { deploybot };

/** The agents this Worker serves. Add yours here. */
export const agents = agentRegistry([deploybot]);
