/**
 * Regressions found by the email fuzzer (test/fuzz/email-fuzz.test.ts): mail the parser
 * refuses gets a clear permanent rejection (not "temporary failure"); two senders'
 * identical mails without a Message-ID stay two threads; a huge subject or thousands of
 * attachments cannot make the launch event row large.
 */
import { describe, expect, it, vi } from "vitest";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { eventsOf, settle, thread } from "../support/api";
import { deliver } from "../support/email";
import { fresh } from "./consistency";

const TO = "deploybot@agents.test";

function nested(depth: number): string {
  let inner = "Content-Type: text/plain\n\ndeep";
  for (let i = depth; i > 0; i--) inner = `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n${inner}\n--b${i}--`;
  return inner;
}

/** The thread the handler says it launched, from its log line. */
async function deliverLogged(raw: string, envelope: { from: string; to: string }, vars: Partial<Env> = {}) {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    const delivery = await deliver(raw, envelope, vars);
    const line = log.mock.calls.map((c) => String(c[0])).find((l) => l.startsWith('{"email":'));
    return { delivery, outcome: (line ? JSON.parse(line) : {}) as { email?: { action: string; threadId?: string; reason?: string } } };
  } finally {
    log.mockRestore();
  }
}

describe("mail the fuzzer broke the handler with", () => {
  it("MIME nested past the parser's limit is refused with a clear reason, not a 'temporary failure', and starts nothing", async () => {
    const id = fresh("deep");
    const raw = `From: bob@trusted.example\nTo: ${TO}\nMessage-ID: <${id}@trusted.example>\nSubject: deep\nMIME-Version: 1.0\n${nested(300)}\n`;
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const { delivery } = await deliverLogged(raw, { from: "bob@trusted.example", to: TO });
    expect(delivery.refused).toMatch(/^This message could not be read: Maximum MIME nesting depth/);
    expect(error).not.toHaveBeenCalledWith("email handler failed", expect.anything());
    error.mockRestore();
    expect(await thread(await threadIdForMessage("deploybot", `<${id}@trusted.example>`)).thread()).toBeNull();
  });

  it("byte-identical mails without a Message-ID from two senders are two threads; a redelivery of one is a duplicate", async () => {
    const raw = `Subject: no id ${fresh("noid")}\n\nsame words, no From, no Message-ID\n`;
    // A mail with no From cannot pass DMARC, so by default it starts nothing (invariant 10);
    // the keying of Message-ID-less mail is checked with authentication off (local dev).
    const strict = await deliverLogged(raw, { from: "ann@trusted.example", to: TO });
    expect(strict.delivery.refused).toMatch(/no From address to authenticate/);
    expect(strict.outcome.email?.action).toBe("rejected");
    const off = { EMAIL_AUTH: "off" };
    const a = await deliverLogged(raw, { from: "ann@trusted.example", to: TO }, off);
    const b = await deliverLogged(raw, { from: "ben@trusted.example", to: TO }, off);
    expect(a.outcome.email?.action).toBe("launched");
    expect(b.outcome.email?.action).toBe("launched");
    expect(a.outcome.email?.threadId).not.toBe(b.outcome.email?.threadId);
    const idA = a.outcome.email?.threadId ?? "";
    await settle(idA);
    const events = await eventsOf(idA);
    expect(events[0]?.type === "thread_launched" && events[0].data.message).toContain("Email from ann@trusted.example");
    const again = await deliverLogged(raw, { from: "ann@trusted.example", to: TO }, off);
    expect(again.outcome.email).toMatchObject({ action: "duplicate_launch", threadId: idA });
    expect(await eventsOf(idA)).toEqual(events);
  });

  it("a 30 KB subject and 700 attachments: the subject is cut at 998 characters, 50 attachments are listed, long names cut", async () => {
    const id = fresh("big");
    const name = (i: number) => (i < 5 ? `${"n".repeat(300)}${i}` : `a${i}`);
    const parts = Array.from({ length: 700 }, (_, i) => `--p\nContent-Disposition: attachment; filename="${name(i)}"\n\nx\n`).join("");
    const raw = `From: bob@trusted.example\nTo: ${TO}\nMessage-ID: <${id}@trusted.example>\nSubject: ${"s".repeat(30_000)}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=p\n\n--p\nContent-Type: text/plain\n\nsee the files\n${parts}--p--\n`;
    expect(raw.length).toBeLessThan(100_000); // MAX_EMAIL_BYTES in tests
    const { delivery, outcome } = await deliverLogged(raw, { from: "bob@trusted.example", to: TO });
    expect(delivery.refused).toBeUndefined();
    const threadId = outcome.email?.threadId ?? "";
    await settle(threadId);
    const [launch] = await eventsOf(threadId);
    if (launch?.type !== "thread_launched") throw new Error("no launch");
    expect(launch.source?.detail?.["subject"]).toBe(`${"s".repeat(995)}...`);
    expect(launch.data.message).toContain("- ... and 650 more");
    expect(launch.data.message.match(/^- /gm)).toHaveLength(51);
    expect(launch.data.message.match(/^- n{200}\.\.\. \(/gm)).toHaveLength(5);
    expect(JSON.stringify(launch).length).toBeLessThan(30_000);
  });
});
