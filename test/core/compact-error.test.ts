import { describe, expect, it } from "vitest";
import { compactCause, compactError, errorHint, MAX_ERROR_CHARS } from "../../src/core/compact-error";

// Factor 9: what the model reads of an error is its cause in a few lines and what to try.
// A gateway's HTML page and a stack trace are noise that crowds the context.

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head><title> 502 Bad Gateway </title><style>body { font: 14px sans-serif }</style></head>
<body><h1>502 Bad Gateway</h1><p>${"cloudflare ".repeat(40)}</p></body>
</html>`;

describe("compactCause", () => {
  it("turns an HTML error page into its title and size, keeping what came before the page", () => {
    const message = `deploy API answered 502: ${PAGE}`;
    expect(compactCause(message)).toBe(`deploy API answered 502: [an HTML error page: "502 Bad Gateway", ${message.length} characters, left out]`);
    expect(compactCause(PAGE)).toBe(`[an HTML error page: "502 Bad Gateway", ${PAGE.length} characters, left out]`);
  });

  it("knows a page by any of its opening tags, in any case, with or without a title", () => {
    expect(compactCause('<html><head><title id="t" lang="en">Oops</title></head></html>')).toMatch(/^\[an HTML error page: "Oops", /);
    for (const page of ["<html><body>oops</body></html>", "<HTML lang=en><p>oops</p>", "<head>\n<meta charset=utf-8></head>", "<body class='x'>Service Unavailable</body>", "<!doctype   HTML><p>down</p>"]) {
      expect(compactCause(page), page).toBe(`[an HTML error page, ${page.length} characters, left out]`);
    }
  });

  it("leaves a message alone that only mentions tags that are not a page's", () => {
    for (const message of ["unknown element <header> in template", "tag <htmlx> is not allowed", "the <bodyguard> service refused", "<headless> mode failed", "<!doctype> missing"]) {
      expect(compactCause(message), message).toBe(message);
    }
  });

  it("drops V8 and Firefox/Safari stack frames and keeps every other line, whitespace collapsed", () => {
    const v8 = "TypeError: fetch failed\n    at fetchTarget (worker.js:120:15)\n    at async deploy (worker.js:88:3)\n    at worker.js:12:7\n  cause:   connect   ECONNREFUSED";
    expect(compactCause(v8)).toBe("TypeError: fetch failed cause: connect ECONNREFUSED");
    const firefox = "deploy failed\nfetchTarget@https://app.example/worker.js:120:15\n@https://app.example/worker.js:12:7\nretry later";
    expect(compactCause(firefox)).toBe("deploy failed retry later");
    expect(compactCause("line one\r\n    at fn (file.js:1:2)\r\nline two")).toBe("line one line two");
    // Indented or trailing-space frames, and the blank lines between, leave nothing behind.
    expect(compactCause("boom\n\n  fetchTarget@https://app.example/worker.js:120:15   \n\n\t\nretry later\n")).toBe("boom retry later");
  });

  it("keeps lines that read like frames but are prose", () => {
    for (const line of ["at least 3 retries failed", "Look at this (carefully)", "the deploy stopped at 12:30", "mail ops@example.com about it", "owner: build@ci:1:2 was here", "ops@db:5432:1 is down", "see ops@db:5432:1"]) {
      expect(compactCause(`boom\n${line}`), line).toBe(`boom ${line}`);
    }
  });

  it("cuts the cause at MAX_ERROR_CHARS and says how much was left out", () => {
    const exact = "x".repeat(MAX_ERROR_CHARS);
    expect(compactCause(exact)).toBe(exact);
    const long = `${"a".repeat(MAX_ERROR_CHARS)}${"b".repeat(123)}`;
    expect(compactCause(long)).toBe(`${"a".repeat(MAX_ERROR_CHARS)}… [123 more characters]`);
    expect(compactCause(`${"word ".repeat(100)}`)).toBe(`${"word ".repeat(100).trim().slice(0, MAX_ERROR_CHARS)}… [${"word ".repeat(100).trim().length - MAX_ERROR_CHARS} more characters]`);
  });
});

describe("compactError", () => {
  it("adds what to try for a known code, once, and nothing for an unknown one", () => {
    expect(compactError("tool_timeout", "no answer in 30 s")).toBe("no answer in 30 s\nTry: Try again, or with a smaller request.");
    expect(compactError("outcome_unknown", "crashed mid-call")).toBe("crashed mid-call\nTry: Check whether it took effect before running it again.");
    expect(compactError("some_tool_code", "no answer in 30 s")).toBe("no answer in 30 s");
    const already = `stopped. ${errorHint("invalid_json")}`;
    expect(compactError("invalid_json", already)).toBe(already);
  });

  it("has a hint for each code the runtime writes, and the same one for every model outage", () => {
    for (const code of ["outcome_unknown", "tool_timeout", "invalid_arguments", "unknown_tool", "approval_missing", "superseded", "too_many_open_requests", "invalid_json", "no_tool_call", "too_many_tool_calls"]) {
      expect(errorHint(code), code).toMatch(/\w+.*\.$/);
    }
    const outage = errorHint("model_rate_limited");
    expect(outage).toBe("Nothing to change; the runtime waits and retries.");
    for (const code of ["model_unavailable", "model_timeout", "model_unreachable"]) expect(errorHint(code), code).toBe(outage);
    expect(errorHint("no_tool_call")).toBe(errorHint("too_many_tool_calls"));
    // A code is any string a tool sends: an Object.prototype key is not a hint (it once returned a function).
    for (const code of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      expect(errorHint(code), code).toBeUndefined();
      expect(compactError(code, "failed"), code).toBe("failed");
    }
  });
});
