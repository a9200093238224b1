// The pure domain (Factor 12). Nothing here imports cloudflare:*, agents, hono or openai,
// reads the clock or makes ids: the runtime stamps time and ids onto events.
export * from "./ids";
export * from "./json";
export * from "./principal";
export * from "./events";
export * from "./decision";
export * from "./state";
export * from "./reduce";
export * from "./next";
export * from "./context";
export * from "./context-blocks";
export * from "./context-policy";
export * from "./context-marks";
export * from "./context-source";
export * from "./compact-error";
export * from "./model-input";
export * from "./commands";
export * from "./view";
export * from "./delegation";
export * from "./stats";
export * from "./variants";
export * from "./snapshot";
export * from "./reducer-version";
export * from "./timers";
export * from "./mcp";
export * from "./mcp-reduce";
