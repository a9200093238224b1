import { z } from "zod";

// Branded ids: a ThreadId cannot be passed where a CallId is expected, even
// though both are strings on the wire.

/** Client-chosen or generated thread id. Safe in URLs, DO names and email plus-addresses. */
export const ThreadId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "1-64 characters: letters, digits, '_' or '-', starting with a letter or digit")
  .brand<"ThreadId">();
export type ThreadId = z.infer<typeof ThreadId>;

export const CallId = z.string().min(1).max(64).brand<"CallId">();
export type CallId = z.infer<typeof CallId>;

export const RequestId = z.string().min(1).max(64).brand<"RequestId">();
export type RequestId = z.infer<typeof RequestId>;

export const AgentName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, "lowercase letters, digits, '_' or '-', starting with a letter");
export type AgentName = z.infer<typeof AgentName>;

/** ISO-8601 timestamp as stamped by the runtime. */
export const Timestamp = z.iso.datetime();
export type Timestamp = z.infer<typeof Timestamp>;
