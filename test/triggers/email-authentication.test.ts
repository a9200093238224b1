/**
 * The verdict we read from a delivered mail, against the header block Cloudflare Email
 * Routing prepends (its shape as seen on real deliveries, docs/security.md: a Received
 * "by cloudflare-email.net", an ARC set sealed by cloudflare-email.net whose
 * ARC-Authentication-Results and the Authentication-Results both name mx.cloudflare.net,
 * Received-SPF, X-CF-SpamH-Score). Signatures here are placeholders: we do not verify them.
 */
import { describe, expect, it } from "vitest";
import { authservIdOf, checkAuthentication, DEFAULT_AUTHSERV_ID } from "../../src/triggers/email/authentication";
import { parseMail } from "../../src/triggers/email/parse";

const verdicts = (dmarc: string) => [
  "\tdkim=pass header.d=example.com header.s=s1 header.b=AbCdEf12;",
  `\tdmarc=${dmarc} header.from=example.com policy.dmarc=quarantine;`,
  "\tspf=none (mx.cloudflare.net: no SPF records found for postmaster@out-1.mail.example.com) smtp.helo=out-1.mail.example.com;",
  "\tspf=pass (mx.cloudflare.net: domain of alice@example.com designates 192.0.2.10 as permitted sender) smtp.mailfrom=alice@example.com;",
  "\tarc=none smtp.remote-ip=192.0.2.10",
];

/** Cloudflare's block on top, then what the sender wrote (which may include a forged verdict). */
function delivered(dmarc: string, { withAuthResults = true, senderHeaders = [] as string[] } = {}): Uint8Array {
  const lines = [
    "Received: from out-1.mail.example.com (192.0.2.10)",
    "        by cloudflare-email.net (cloudflare) id Ab12Cd34Ef56",
    "        for <deploybot@agents.test>; Thu, 23 Apr 2026 13:07:10 +0000",
    "ARC-Seal: i=1; a=rsa-sha256; s=cf2024-1; d=cloudflare-email.net; cv=none;",
    "\tb=cGxhY2Vob2xkZXI=",
    "ARC-Message-Signature: i=1; a=rsa-sha256; s=cf2024-1; d=cloudflare-email.net; c=relaxed/relaxed;",
    "\th=From:To:Subject:Date; bh=cGxhY2Vob2xkZXI=; b=cGxhY2Vob2xkZXI=",
    "ARC-Authentication-Results: i=1; mx.cloudflare.net;",
    ...verdicts(dmarc),
    "Received-SPF: pass (mx.cloudflare.net: domain of alice@example.com designates 192.0.2.10 as permitted sender)",
    "\treceiver=mx.cloudflare.net; client-ip=192.0.2.10; envelope-from=\"alice@example.com\"; helo=out-1.mail.example.com;",
    ...(withAuthResults ? ["Authentication-Results: mx.cloudflare.net;", ...verdicts(dmarc)] : []),
    "X-CF-SpamH-Score: 0",
    ...senderHeaders,
    "From: Alice <alice@example.com>",
    "To: deploybot@agents.test",
    "Subject: Ship it",
    "Message-ID: <auth-1@example.com>",
    "Content-Type: text/plain; charset=utf-8",
    "",
    "approve",
    "",
  ];
  return new TextEncoder().encode(lines.join("\r\n"));
}

const verdictOf = async (raw: Uint8Array, authservId = DEFAULT_AUTHSERV_ID) =>
  checkAuthentication(await parseMail(raw, "alice@example.com"), "strict", authservId);

describe("the receiving service's verdict, as Cloudflare Email Routing records it", () => {
  it("a delivered mail with Cloudflare's DMARC pass for the From domain is authenticated", async () => {
    expect(await verdictOf(delivered("pass"))).toEqual({ ok: true, how: "dmarc" });
  });

  it("Cloudflare's ARC-Authentication-Results alone (no Authentication-Results) is read the same way", async () => {
    expect(await verdictOf(delivered("pass", { withAuthResults: false }))).toEqual({ ok: true, how: "dmarc" });
  });

  it("a DMARC fail on top is not outvoted by a sender's own 'mx.cloudflare.net; dmarc=pass' below it", async () => {
    const forged = ["Authentication-Results: mx.cloudflare.net; dmarc=pass header.from=example.com", "ARC-Authentication-Results: i=1; mx.cloudflare.net; dmarc=pass header.from=example.com"];
    expect(await verdictOf(delivered("fail", { senderHeaders: forged }))).toEqual({ ok: false, reason: "DMARC fail for example.com" });
  });

  it("another authserv-id is not ours: a mail stamped only by someone else is refused", async () => {
    expect(await verdictOf(delivered("pass"), "mx.example.org")).toMatchObject({ ok: false, reason: expect.stringMatching(/no authentication results \(mx\.example\.org\)/) });
  });

  it("EMAIL_AUTHSERV_ID unset means Cloudflare's id; only an explicit empty value trusts the topmost header", () => {
    expect(DEFAULT_AUTHSERV_ID).toBe("mx.cloudflare.net");
    expect(authservIdOf(undefined)).toBe("mx.cloudflare.net");
    expect(authservIdOf("")).toBe("");
    expect(authservIdOf("mx.example.org")).toBe("mx.example.org");
  });
});
