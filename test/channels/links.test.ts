import { describe, expect, it } from "vitest";
import { linkUrl, requestLink, signLink, verifyLink } from "../../src/channels/links";

const SECRET = "link-secret-for-tests";
const NOW = Date.parse("2030-01-01T00:00:00Z");
const claims = { threadId: "t_links", requestId: "req_call_1", exp: NOW / 1000 + 3600 };

const b64url = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Signs an arbitrary payload part the way signLink does, to reach the checks after the signature. */
async function signRaw(secret: string, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload)));
  return `${payload}.${b64url(String.fromCharCode(...mac))}`;
}

describe("signed human links", () => {
  it("round-trips the claims and is URL-safe", async () => {
    const token = await signLink(SECRET, claims);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await verifyLink(SECRET, token, NOW)).toEqual({ ok: true, claims });
    // Deterministic: same claims and secret, same token (no hidden randomness or clock).
    expect(await signLink(SECRET, claims)).toBe(token);
  });

  it("rejects a tampered payload carrying the original signature", async () => {
    const [, signature] = (await signLink(SECRET, claims)).split(".");
    const forged = `${b64url(JSON.stringify({ ...claims, requestId: "req_other" }))}.${signature}`;
    expect(await verifyLink(SECRET, forged, NOW)).toEqual({ ok: false, reason: "bad_signature" });
    const extended = `${b64url(JSON.stringify({ ...claims, exp: claims.exp + 10 ** 6 }))}.${signature}`;
    expect(await verifyLink(SECRET, extended, NOW)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects a tampered signature, and a non-canonical spelling of the same bytes", async () => {
    const token = await signLink(SECRET, claims);
    const [payload, signature = ""] = token.split(".");
    const flipped = signature.slice(0, 10) + (signature[10] === "A" ? "B" : "A") + signature.slice(11);
    expect(await verifyLink(SECRET, `${payload}.${flipped}`, NOW)).toEqual({ ok: false, reason: "bad_signature" });
    // The last of 43 characters carries 2 unused bits; flipping only those must not pass.
    const last = signature.at(-1) ?? "A";
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] ?? "A";
    expect(await verifyLink(SECRET, `${payload}.${signature.slice(0, -1)}${sibling}`, NOW)).toEqual({ ok: false, reason: "malformed" });
  });

  it("rejects a token signed with another secret", async () => {
    const token = await signLink("some-other-secret", claims);
    expect(await verifyLink(SECRET, token, NOW)).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verifyLink("", token, NOW)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("calls truncated and garbage tokens malformed", async () => {
    const token = await signLink(SECRET, claims);
    const [payload = ""] = token.split(".");
    for (const bad of ["", ".", payload, `${payload}.`, `.${token.split(".")[1]}`, "a.b.c", "%%%.%%%", "not a token", "x".repeat(5000)]) {
      expect(await verifyLink(SECRET, bad, NOW), JSON.stringify(bad.slice(0, 40))).toEqual({ ok: false, reason: "malformed" });
    }
    // A cut signature (40 characters: still canonical base64url) no longer matches.
    expect(await verifyLink(SECRET, token.slice(0, -3), NOW)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("calls a correctly signed payload that is not valid claims malformed", async () => {
    for (const body of ["not json", JSON.stringify({ threadId: "t_1" }), JSON.stringify({ ...claims, extra: 1 }), JSON.stringify({ ...claims, threadId: "../x" })]) {
      expect(await verifyLink(SECRET, await signRaw(SECRET, b64url(body)), NOW), body).toEqual({ ok: false, reason: "malformed" });
    }
  });

  it("expires at exp (epoch seconds), checked only after the signature", async () => {
    const token = await signLink(SECRET, claims);
    expect((await verifyLink(SECRET, token, claims.exp * 1000 - 1)).ok).toBe(true);
    expect(await verifyLink(SECRET, token, claims.exp * 1000)).toEqual({ ok: false, reason: "expired" });
    expect(await verifyLink(SECRET, token, claims.exp * 1000 + 86_400_000)).toEqual({ ok: false, reason: "expired" });
    const forgedAndOld = await signLink("other", { ...claims, exp: 1 });
    expect(await verifyLink(SECRET, forgedAndOld, NOW)).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("refuses to sign with no secret or with invalid claims", async () => {
    await expect(signLink("", claims)).rejects.toThrow(/secret/);
    await expect(signLink(SECRET, { ...claims, exp: 1.5 })).rejects.toThrow();
    await expect(signLink(SECRET, { ...claims, threadId: "bad/id" })).rejects.toThrow();
  });

  it("builds the page URL, and a request link that lives until the request's deadline", async () => {
    expect(linkUrl("https://agents.example.com", "abc.def")).toBe("https://agents.example.com/h/abc.def");
    expect(linkUrl("https://agents.example.com/", "abc.def")).toBe("https://agents.example.com/h/abc.def");
    const url = await requestLink({ secret: SECRET, publicUrl: "http://localhost:8787" }, "t_links", {
      requestId: "req_call_1",
      deadline: "2030-01-01T01:00:00.000Z",
    });
    expect(url).toBe(`http://localhost:8787/h/${await signLink(SECRET, claims)}`);
  });
});
