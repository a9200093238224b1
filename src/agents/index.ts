import { agentRegistry } from "./define";
import { deploybot } from "./deploybot";
import { digest } from "./digest";
import { releasebot } from "./releasebot";
import { mcpbot } from "./mcpbot";

export type * from "./types";
export * from "./define";
export * from "./delegate";
export { deploybot, digest, releasebot, mcpbot };

/** The agents this Worker serves. Add yours here. */
export const agents = agentRegistry([deploybot, digest, releasebot, mcpbot]);
