import { z } from "zod";
import type { DecisionCursor } from "../../runtime/index/thread-index-decisions";
import { decodeToken, encodeToken } from "./schemas";

/** ISO-8601 instants, normalised to UTC milliseconds like the log's `at`, so string order is time order. */
const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

export const DecisionsQuery = z.strictObject({
  agent: z.string().max(40).optional(),
  /** Inclusive. */
  since: Instant.optional(),
  /** Exclusive. */
  until: Instant.optional(),
  cursor: z.string().max(500).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const Cursor = z.strictObject({ at: z.string().max(40), threadId: z.string().max(100), seq: z.number().int().positive() });

export const encodeDecisionCursor = (cursor: DecisionCursor): string => encodeToken(cursor);

export const decodeDecisionCursor = (text: string): DecisionCursor | undefined => decodeToken(text, Cursor);
