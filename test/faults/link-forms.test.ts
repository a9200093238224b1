/** Regression (found by test/fuzz): a multipart body that does not parse was a 500 on POST /h/{token}. */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { signLink } from "../../src/channels/links";
import { api, eventsOf, launch, settle } from "../support/api";
import { model } from "../support/harness";
import { fresh } from "./consistency";

it("POST /h/{token} with a broken multipart body -> 400 page, nothing appended, the link still works", async () => {
  const id = fresh("link-multipart");
  await launch("probe", `go ${model.script(id, [{ tool: "guarded", args: { label: id } }])}`, { threadId: id });
  const pending = (await settle(id)).pending;
  if (!pending) throw new Error("no pending request");
  const token = await signLink((env.HUMAN_LINK_SECRET ?? ""), { threadId: id, requestId: pending.requestId, exp: Math.floor(Date.parse(pending.deadline) / 1000) });
  const before = await eventsOf(id);
  for (const [type, body] of [
    ["multipart/form-data; boundary=x", "decision=approve"],
    ["multipart/form-data", "--x\r\nContent-Disposition: form-data; name=\"decision\"\r\n\r\napprove"],
    ["multipart/form-data; boundary=\"unterminated", "--unterminated"],
  ] as const) {
    const response = await api(`/h/${token}`, { method: "POST", token: null, headers: { "content-type": type }, body });
    expect(response.status, `${type}: ${body}`).toBe(400);
    expect(await response.text()).toContain("The form could not be read.");
  }
  expect(await eventsOf(id)).toEqual(before);
  const good = await api(`/h/${token}`, { method: "POST", token: null, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "decision=reject" });
  expect(good.status).toBe(200);
});
