import { describe, expect, it } from "vitest";
import { threadOfMessageId } from "../../src/channels/email/message-id";
import { isAllowed, messageIds, parseAllowlist, parseRecipient } from "../../src/triggers/email/address";
import { interpretReply, parseDecision } from "../../src/channels/email/reply";
import { htmlToText, stripQuotedAndSignature, truncate } from "../../src/triggers/email/text";

// The pure helpers of the email trigger: first-word decisions, text cleaning, addresses.

describe("first-word decisions", () => {
  it.each([
    ["approve", true, ""],
    ["Approved.", true, ""],
    ["YES, go ahead", true, "go ahead"],
    ["lgtm! ship it", true, "ship it"],
    ["  yes\n\nafter lunch please", true, "after lunch please"],
    ["reject: tests are red", false, "tests are red"],
    ["Deny", false, ""],
    ["no - not on a Friday", false, "not on a Friday"],
  ])("%j -> approved %s, comment %j", (text, approved, comment) => {
    expect(parseDecision(text)).toEqual({ approved, comment });
  });

  it.each(["Maybe later", "yesterday was fine", "nope", "ok", "Approve?maybe", "", "I approve", "👍"])("%j is unclear", (text) => {
    expect(parseDecision(text)).toBeUndefined();
  });

  it("a reply answers the request its mail replied to, else the oldest; unclear approvals become messages", () => {
    const open = [
      { requestId: "a", kind: "approval" as const },
      { requestId: "q", kind: "input" as const },
    ];
    expect(interpretReply(open, "yes")).toEqual({ kind: "respond", requestId: "a", approved: true });
    expect(interpretReply(open, "v1.2.3", "q")).toEqual({ kind: "respond", requestId: "q", answer: "v1.2.3" });
    expect(interpretReply(open, "hmm", "a")).toEqual({ kind: "message", text: "hmm", unclear: "a" });
    expect(interpretReply([], "approve")).toEqual({ kind: "message", text: "approve" });
  });
});

describe("text cleaning", () => {
  it.each([
    ["Gmail attribution on two lines", "Sounds good.\n\nOn Tue, Nov 24, 2026 at 1:05 PM Bot <bot@x.test>\nwrote:\n> old"],
    ["interleaved > lines", "> quoted question\nSounds good."],
    ["RFC 3676 signature", "Sounds good.\n-- \nAlice\nPlatform"],
    ["mobile footer", "Sounds good.\n\nSent from my iPhone"],
    ["Outlook original message", "Sounds good.\n\n-----Original Message-----\nFrom: bot"],
    ["Outlook header block", "Sounds good.\n\nFrom: deploybot <bot@x.test>\nSent: Tuesday\nTo: Alice"],
    ["German client", "Sounds good.\n\nAm 24.11.2026 um 13:05 schrieb Bot <bot@x.test>:\n> alt"],
  ])("%s is trimmed", (_what, text) => {
    expect(stripQuotedAndSignature(text)).toBe("Sounds good.");
  });

  it("keeps a line that merely mentions From: in the text", () => {
    expect(stripQuotedAndSignature("From: the release notes, v2 is fine.")).toBe("From: the release notes, v2 is fine.");
  });

  it("HTML becomes text: entities decoded, scripts and quotes gone", () => {
    const html = "<script>alert(1)</script><p>A&amp;B &lt;ok&gt; &#233;&#x20AC;</p><blockquote>old</blockquote><p>line<br>two</p>";
    expect(htmlToText(html)).toBe("A&B <ok> é€\n\nline\ntwo");
  });

  it("long text is cut with a marker", () => {
    expect(truncate("abcdef", 4)).toBe("abcd\n[... 2 more characters not shown]");
  });
});

describe("addresses", () => {
  it("recipients split into agent, plus tag and domain", () => {
    expect(parseRecipient("DeployBot+e_abc123@Agents.Test")).toEqual({ agent: "deploybot", tag: "e_abc123", domain: "agents.test" });
    expect(parseRecipient("<deploybot@agents.test>")).toEqual({ agent: "deploybot", domain: "agents.test" });
    expect(parseRecipient("not an address")).toBeUndefined();
  });

  it("allowlists: exact addresses and whole domains, default deny", () => {
    const list = parseAllowlist("Alice@Example.com, @trusted.example");
    expect(isAllowed("alice@example.com", list)).toBe(true);
    expect(isAllowed("Bob <bob@trusted.example>", list)).toBe(true);
    expect(isAllowed("bob@example.com", list)).toBe(false);
    expect(isAllowed("eve@sub.trusted.example", list)).toBe(false);
    expect(isAllowed("alice@example.com", parseAllowlist(""))).toBe(false);
  });

  it("Message-ID lists and the thread an outbound id claims", () => {
    expect(messageIds("<a@x> <b@y>\r\n <c@z>")).toEqual(["<a@x>", "<b@y>", "<c@z>"]);
    expect(threadOfMessageId("<e_abc.3.0123456789abcdef@agents.test>", "agents.test")).toBe("e_abc");
    expect(threadOfMessageId("<e_abc.3.0123456789abcdef@elsewhere.test>", "agents.test")).toBeUndefined();
    expect(threadOfMessageId("<CAF123@mail.gmail.com>", "agents.test")).toBeUndefined();
  });
});
