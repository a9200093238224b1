/**
 * Seeded fuzz of the real email() handler with malformed raw mail (random bytes, truncated
 * MIME, broken boundaries, huge headers, missing From/To/Message-ID, bad charsets, bad
 * base64/QP, absurdly nested multiparts). For every case: the handler never throws, every
 * outcome is one logged line with a reason (a refusal also calls setReject with it), no
 * refusal is the catch-all "temporary failure" (that would be a parser crash), and a thread
 * exists only for mail that may start one. And the other way round: every well-formed mail
 * from an allowed sender launches exactly one thread. Rerun with the same MAIL_SEED to reproduce.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { EmailOutcome } from "../../src/triggers/email";
import { eventsOf, listedThreads, settle, thread } from "../support/api";
import worker from "../support/worker";
import { prng } from "./generate";
import { mailCase, wellFormedCase, type MailCase } from "./mail";
import { redactEmails } from "../../src/log";

const MAIL_SEED = 0xe_4a11;
const CASES = 400;
const WELL_FORMED = 60;

/** Header block as Email Routing would hand it over; lines the Headers class refuses are skipped (adapter, not handler). */
function headersOf(raw: Uint8Array): Headers {
  const text = new TextDecoder("latin1").decode(raw);
  const end = text.search(/\r?\n\r?\n/);
  const block = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  const headers = new Headers();
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    const value = line.slice(colon + 1).trim();
    if (colon <= 0 || /[^\t\x20-\x7e]/.test(value)) continue; // what a Headers object cannot carry as text
    try {
      headers.append(line.slice(0, colon).trim(), value);
    } catch {
      // not a legal header name or value
    }
  }
  return headers;
}

type Seen = { outcome: (EmailOutcome & { answeredBy?: string }) | undefined; rejected: string | undefined; replies: number; threw: unknown };

/** Delivers one case to the real handler; returns what it logged and whether it called setReject. */
async function deliver(c: MailCase, lines: string[]): Promise<Seen> {
  let rejected: string | undefined;
  let replies = 0;
  const message: ForwardableEmailMessage = {
    from: c.envelope.from,
    to: c.envelope.to,
    headers: headersOf(c.raw),
    raw: new Response(c.raw.slice()).body as ReadableStream<Uint8Array>,
    rawSize: c.raw.byteLength,
    canBeForwarded: true,
    setReject: (reason: string) => {
      rejected = reason;
    },
    forward: async () => ({ messageId: "<forwarded@test>" }),
    reply: async () => {
      replies++;
      return { messageId: "<reply@test>" };
    },
  };
  const start = lines.length;
  const ctx = createExecutionContext();
  let threw: unknown;
  try {
    await worker.email(message, env, ctx);
    await waitOnExecutionContext(ctx);
  } catch (error) {
    threw = error;
  }
  // The handler's one line for this mail (mails are delivered one at a time; the log redacts
  // the sender to its first letter and domain).
  const mine = lines.slice(start).flatMap((l) => {
    const parsed = JSON.parse(l) as { email: { from: string; answeredBy?: string } & EmailOutcome };
    return parsed.email.from === redactEmails(c.envelope.from) ? [parsed.email] : [];
  });
  return { outcome: mine.length === 1 ? mine[0] : undefined, rejected, replies, threw };
}

let lines: string[] = [];
let errors: string[] = [];

beforeAll(() => {
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith('{"email":')) lines.push(args[0]);
  });
  vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
    errors.push(args.map(String).join(" "));
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});


describe(`email fuzz (seed ${MAIL_SEED}, ${CASES} cases)`, () => {
  it("the handler never throws, every outcome has a reason, and only valid, allowed mail starts a thread", { timeout: 120_000 }, async () => {
    lines = [];
    errors = [];
    const before = await listedThreads();
    const rng = prng(MAIL_SEED);
    const cases = Array.from({ length: CASES }, (_, i) => mailCase(rng, i));
    const findings: string[] = [];
    const launched = new Map<string, MailCase>();
    const tally = new Map<string, number>();

    for (const c of cases) {
      const seen = await deliver(c, lines);
      const what = `case ${c.index} [${c.mutations.join("+")}] from=${JSON.stringify(c.envelope.from)} to=${JSON.stringify(c.envelope.to)} ${c.raw.byteLength} B`;
      const o = seen.outcome;
      tally.set(o?.action ?? "none", (tally.get(o?.action ?? "none") ?? 0) + 1);
      if (seen.threw) findings.push(`${what}: handler threw ${String(seen.threw)}`);
      if (!o) {
        findings.push(`${what}: no log line`);
        continue;
      }
      if (o.action === "rejected" || o.action === "ignored") {
        if (!o.reason.trim()) findings.push(`${what}: ${o.action} without a reason`);
        if (/temporary failure/i.test(o.reason)) findings.push(`${what}: the handler crashed inside (${o.reason})`);
      }
      // The log line redacts mail addresses (docs/operations.md); the rejection itself does not.
      // A refusal reaches the sender exactly one way: our reply (authenticated senders) or setReject.
      if (o.action === "rejected" && o.answeredBy === "reply" && (seen.replies !== 1 || seen.rejected !== undefined)) findings.push(`${what}: answered by reply, yet ${seen.replies} replies and setReject(${seen.rejected})`);
      if (o.action === "rejected" && o.answeredBy !== "reply" && (redactEmails(seen.rejected ?? "") !== o.reason || seen.replies !== 0)) findings.push(`${what}: rejected but setReject got ${JSON.stringify(seen.rejected)} (${seen.replies} replies)`);
      if (o.action !== "rejected" && (seen.rejected !== undefined || seen.replies > 0)) findings.push(`${what}: setReject(${seen.rejected}) or ${seen.replies} replies but logged ${o.action}`);
      if (c.mustReject && o.action !== "rejected") findings.push(`${what}: not our mailbox, yet ${o.action}`);
      if (o.action === "launched" || o.action === "duplicate_launch" || o.action === "replied") {
        if (!c.mayLaunch) findings.push(`${what}: ${o.action} ${o.threadId} although it may not start a thread`);
        else if (o.action === "launched") launched.set(o.threadId, c);
        else findings.push(`${what}: unexpected ${o.action} (every case has its own sender and Message-ID)`);
      }
    }
    const crashes = errors.filter((e) => e.includes("email handler failed"));
    expect(findings, `seed ${MAIL_SEED}: ${findings.length} findings, first: ${findings.slice(0, 8).join("\n")}`).toEqual([]);
    expect(crashes, `seed ${MAIL_SEED}: the handler caught its own crash`).toEqual([]);

    // Every launched thread is a well-formed email launch with bounded rows; nothing else was created.
    for (const [id, c] of launched) {
      await settle(id);
      const [first] = await eventsOf(id);
      expect(first?.type, `case ${c.index}`).toBe("thread_launched");
      expect(first?.source?.kind).toBe("email");
      // Bounded whatever the mail: text 16,000 chars, subject 998, 50 attachment lines (rows stay small).
      expect(JSON.stringify(first).length, `case ${c.index}: launch event size`).toBeLessThan(100_000);
    }
    expect(await listedThreads()).toEqual([...before, ...launched.keys()].sort());
    // Not vacuous: genuine mail does launch, and every launch carried a genuine verdict.
    expect(launched.size).toBeGreaterThan(0);
    expect([...launched.values()].filter((c) => !c.mutations.includes("auth_genuine"))).toEqual([]);

    // A second delivery of each launched mail is a duplicate: same thread, nothing appended.
    for (const [id, c] of launched) {
      const events = await eventsOf(id);
      const again = await deliver(c, lines);
      expect(again.outcome, `case ${c.index}`).toMatchObject({ action: "duplicate_launch", threadId: id });
      expect(await eventsOf(id)).toEqual(events);
    }
    expect(await thread("e_doesnotexist").thread()).toBeNull();
    console.info(`email fuzz seed ${MAIL_SEED}: ${CASES} cases, outcomes ${JSON.stringify(Object.fromEntries([...tally].sort()))}, ${launched.size} launched`);
  });

  it("every well-formed mail from an allowed sender to a known agent launches exactly one thread, carrying its text", { timeout: 120_000 }, async () => {
    lines = [];
    const before = await listedThreads();
    const rng = prng(MAIL_SEED + 1);
    const cases = Array.from({ length: WELL_FORMED }, (_, i) => wellFormedCase(rng, i));
    const shapes = new Set(cases.map((c) => c.mutations[0]));
    expect(shapes.size, "every well-formed shape is sent").toBe(6);
    const launched = new Map<string, (typeof cases)[number]>();
    for (const c of cases) {
      const seen = await deliver(c, lines);
      const what = `well-formed case ${c.index} [${c.mutations.join("+")}] to=${c.envelope.to}`;
      expect(seen.threw, what).toBeUndefined();
      expect(seen.rejected, what).toBeUndefined();
      expect(seen.outcome, what).toMatchObject({ action: "launched" });
      if (seen.outcome?.action !== "launched") continue;
      expect(launched.has(seen.outcome.threadId), `${what}: thread ${seen.outcome.threadId} launched twice`).toBe(false);
      launched.set(seen.outcome.threadId, c);
    }
    expect(launched.size).toBe(WELL_FORMED);
    for (const [id, c] of launched) {
      await settle(id);
      const [first] = await eventsOf(id);
      expect(first?.type, `case ${c.index}`).toBe("thread_launched");
      expect(first?.source?.kind).toBe("email");
      expect(JSON.stringify(first?.data), `case ${c.index}: the thread's message lost the mail's text`).toContain(c.marker);
    }
    const after = await listedThreads();
    expect(after.filter((id) => !before.includes(id)).sort()).toEqual([...launched.keys()].sort());
  });
});
