/**
 * TEST ONLY: deploybot held on a production deploy by mail, shared by the approval-attack
 * and mail-refusal tests: Alice (allowlisted) emails deploybot, the thread asks her for an
 * approval by mail, and the test gets the request's signed reply address.
 */
import { expect } from "vitest";
import { threadIdForMessage } from "../../src/triggers/email/address";
import { settle } from "./api";
import { deliver, parsed } from "./email";
import { mailbox, model } from "./harness";
import plain from "../fixtures/email/plain.eml?raw";

export const ALICE = "alice@example.com";
export const BOB = "bob@trusted.example"; // allowlisted too (vitest.config.ts: @trusted.example)
export const TO = "deploybot@agents.test";
export const PRODUCTION = { tool: "deploy_backend", args: { tag: "v9.9.9", environment: "production" } };
let n = 0;
export const unique = (what: string) => `${what}-${++n}-${crypto.randomUUID().slice(0, 8)}`;

/** A plain-text mail; `headers` go on top (as a receiving service prepends its own). */
export function mail(fields: { from: string; to: string; body: string; messageId?: string; headers?: string[] }): string {
  const raw = plain
    .replace("{{FROM}}", fields.from)
    .replace("{{TO}}", fields.to)
    .replace("{{SUBJECT}}", "Ship it")
    .replace("{{MESSAGE_ID}}", fields.messageId ?? `<${unique("m")}@example.com>`)
    .replace("{{BODY}}", fields.body);
  return fields.headers ? `${fields.headers.join("\n")}\n${raw}` : raw;
}

/** Alice emails deploybot; the thread holds a production deploy and mails her the approval request. */
export async function heldByEmail(): Promise<{ id: string; replyTo: string; script: string }> {
  const script = unique("held");
  model.script(script, [PRODUCTION, { tool: "done_for_now", args: { message: "deployed" } }]);
  const messageId = `<${unique("start")}@example.com>`;
  expect((await deliver(mail({ from: ALICE, to: TO, body: `ship it [script:${script}]`, messageId }), { from: ALICE, to: TO })).refused).toBeUndefined();
  const id = await threadIdForMessage("deploybot", messageId);
  expect((await settle(id)).status).toBe("waiting_for_human");
  const request = mailbox.of(id).at(-1);
  if (!request) throw new Error("no request mail");
  const replyTo = (await parsed(request.raw)).replyTo?.[0]?.address ?? "";
  return { id, replyTo, script };
}
