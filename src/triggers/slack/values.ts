import { z } from "zod";
import { RequestId, ThreadId } from "../../core";

/** What we write into a button's value and a modal's private_metadata (Slack signs it back): the thread and request. */
export const ButtonValue = z.object({ t: ThreadId, r: RequestId });
export type ButtonValue = z.infer<typeof ButtonValue>;

/** The value back, or undefined for anything that is not one of ours. */
export function parseButtonValue(raw: string): ButtonValue | undefined {
  try {
    const parsed = ButtonValue.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
