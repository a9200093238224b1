/**
 * src/settings.ts: every numeric setting from one table. Unset -> its default; a valid
 * value -> that value; a value that does not parse keeps the default and says so, once,
 * in a `setting_invalid` warning that names the variable and what it must be.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { setting, SETTINGS } from "../../src/settings";

afterEach(() => {
  vi.restoreAllMocks();
});

const warnings = () => {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
  return () => warn.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
};

describe("settings", () => {
  it("an unset or empty setting is its default; a feature without a default stays off", () => {
    expect(setting({}, "MAX_THREAD_EVENTS")).toBe(5000);
    expect(setting({ MAX_OPEN_REQUESTS: "" }, "MAX_OPEN_REQUESTS")).toBe(10);
    expect(setting({}, "THREAD_RETENTION_DAYS")).toBeUndefined();
  });

  it("a valid value is used as given", () => {
    expect(setting({ INDEX_SHARDS: "256" }, "INDEX_SHARDS")).toBe(256);
    expect(setting({ STREAM_HEARTBEAT_SECONDS: "0.5" }, "STREAM_HEARTBEAT_SECONDS")).toBe(0.5);
    expect(setting({ THREAD_RETENTION_DAYS: "30" }, "THREAD_RETENTION_DAYS")).toBe(30);
  });

  it.each([
    ["MAX_THREAD_EVENTS", "lots", "a whole number above 0"],
    ["MAX_OPEN_REQUESTS", "2.5", "a whole number above 0"],
    ["INDEX_SHARDS", "257", "a whole number above 0 and at most 256"],
    ["MODEL_TIMEOUT_MS", "-1", "a number above 0"],
  ] as const)("%s=%s keeps the default and warns once that it must be %s", (name, value, expected) => {
    const logged = warnings();
    expect(setting({ [name]: value }, name)).toBe(SETTINGS[name].default);
    expect(setting({ [name]: value }, name)).toBe(SETTINGS[name].default);
    expect(logged()).toEqual([{ level: "warn", msg: "setting_invalid", setting: name, value, expected, using: SETTINGS[name].default }]);
  });

  it("an invalid retention switches nothing on", () => {
    const logged = warnings();
    expect(setting({ THREAD_RETENTION_DAYS: "forever" }, "THREAD_RETENTION_DAYS")).toBeUndefined();
    expect(logged()[0]).toMatchObject({ setting: "THREAD_RETENTION_DAYS", using: "off" });
  });
});
