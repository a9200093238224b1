import { exports } from "cloudflare:workers";
import { expect } from "vitest";

/** TEST ONLY: the console through the Worker's fetch handler, as a browser on its own origin would call it. */
export const ORIGIN = "https://agents.test";
export const get = (path: string, headers: HeadersInit = {}) => exports.default.fetch(new Request(`${ORIGIN}${path}`, { headers: { accept: "text/html", ...headers }, redirect: "manual" }));
export const post = (path: string, fields: Record<string, string>, headers: HeadersInit = {}) =>
  exports.default.fetch(
    new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN, accept: "text/html", ...headers },
      body: new URLSearchParams(fields).toString(),
      redirect: "manual",
    }),
  );

export async function signIn(): Promise<string> {
  const response = await post("/console/sign-in", { name: "default", token: "test-token", next: "/console/threads" });
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe("/console/threads");
  const cookie = response.headers.get("set-cookie") ?? "";
  expect(cookie).toMatch(/^console_session=[^;]+;/);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/Secure/);
  expect(cookie).toMatch(/SameSite=Strict/);
  expect(cookie).toMatch(/Max-Age=43200/);
  return cookie.split(";")[0] as string;
}
