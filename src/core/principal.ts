import { z } from "zod";

/**
 * Who gave a human answer, and what verified them (invariant 10): an API credential's name,
 * a link's recipient, a mail sender, or a console session's credential. Older events carry
 * a plain string (e.g. "approval-link"), which stays valid.
 */
export const Principal = z.object({
  kind: z.enum(["api", "link", "email", "console"]),
  id: z.string().min(1).max(200),
  verifiedBy: z.string().min(1).max(100),
});
export type Principal = z.infer<typeof Principal>;
