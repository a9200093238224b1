import { describe, expect, it } from "vitest";
import { verifyGitHub } from "../../src/triggers/webhooks/github";
import { signHmacSha256 } from "../../src/hmac";
import { verifySlack } from "../../src/triggers/webhooks/slack";

// The verifiers against the providers' PUBLISHED example vectors, so a scheme we
// misread (prefix, base string, encoding) fails here rather than in production.

const bytes = (text: string) => new Uint8Array(new TextEncoder().encode(text)); // backed by an ArrayBuffer, as WebCrypto wants

describe("GitHub X-Hub-Signature-256 (docs.github.com: validating webhook deliveries)", () => {
  const secret = "It's a Secret to Everybody";
  const body = bytes("Hello, World!");
  const signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  const headers = (value?: string) => new Headers(value === undefined ? {} : { "x-hub-signature-256": value });

  it("accepts the documented example", async () => {
    expect(await verifyGitHub({ headers: headers(signature), body }, secret)).toEqual({ ok: true });
    expect(await signHmacSha256(secret, body)).toBe(signature.slice(7));
  });

  it("refuses a changed body, a wrong secret, a wrong prefix, a malformed or missing signature", async () => {
    expect(await verifyGitHub({ headers: headers(signature), body: bytes("Hello, World?") }, secret)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifyGitHub({ headers: headers(signature), body }, "another secret")).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifyGitHub({ headers: headers(signature.replace("sha256=", "sha1=")), body }, secret)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifyGitHub({ headers: headers("sha256=zz"), body }, secret)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifyGitHub({ headers: headers(`${signature}00`), body }, secret)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifyGitHub({ headers: headers(), body }, secret)).toMatchObject({ ok: false, code: "missing_signature" });
  });
});

describe("Slack v0 signature (api.slack.com: verifying requests from Slack)", () => {
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const timestamp = "1531420618";
  const body = bytes(
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
  );
  const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
  const at = Number(timestamp) * 1000;
  const headers = (sig = signature, ts = timestamp) => new Headers({ "x-slack-signature": sig, "x-slack-request-timestamp": ts });

  it("accepts the documented example at its timestamp and within five minutes of it", async () => {
    expect(await verifySlack({ headers: headers(), body, now: at }, secret)).toEqual({ ok: true });
    expect(await verifySlack({ headers: headers(), body, now: at + 299_000 }, secret)).toEqual({ ok: true });
    expect(await verifySlack({ headers: headers(), body, now: at - 299_000 }, secret)).toEqual({ ok: true });
  });

  it("refuses a timestamp more than five minutes away, even with a valid signature", async () => {
    expect(await verifySlack({ headers: headers(), body, now: at + 301_000 }, secret)).toMatchObject({ ok: false, code: "stale_timestamp" });
    expect(await verifySlack({ headers: headers(), body, now: at - 301_000 }, secret)).toMatchObject({ ok: false, code: "stale_timestamp" });
    expect(await verifySlack({ headers: headers(signature, "soon"), body, now: at }, secret)).toMatchObject({ ok: false, code: "stale_timestamp" });
  });

  it("refuses a changed body, a changed timestamp, a wrong secret or version, or no signature", async () => {
    expect(await verifySlack({ headers: headers(), body: bytes("token=other"), now: at }, secret)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifySlack({ headers: headers(signature, "1531420619"), body, now: at }, secret)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifySlack({ headers: headers(), body, now: at }, "8f742231b10e8888abcd99yyyzzz85a6")).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifySlack({ headers: headers(signature.replace("v0=", "v1=")), body, now: at }, secret)).toMatchObject({ ok: false, code: "bad_signature" });
    expect(await verifySlack({ headers: new Headers({ "x-slack-request-timestamp": timestamp }), body, now: at }, secret)).toMatchObject({ ok: false, code: "missing_signature" });
  });
});
