import { agentRegistry } from "./define";
import { deploybot } from "./deploybot";
import { digest } from "./digest";

export * from "./define";
export { deploybot };
export { digest };

/** The agents this Worker serves. Add yours here. */
export const agents = agentRegistry([deploybot, digest]);
