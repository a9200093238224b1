import { describe, expect, it } from "vitest";
import { AgentName, CallId, RequestId, ThreadId } from "../../src/core";

// Ids travel in URLs, Durable Object names and email plus-addresses; a bad one is refused
// with a message the API returns in its 400 details, so the caller can fix it.

const messageOf = (result: { success: boolean; error?: { issues: readonly { message: string }[] } }) => result.error?.issues[0]?.message;

describe("ThreadId", () => {
  it.each(["t", "T-1", "a_b-C9", "9".repeat(64)])("accepts %s", (id) => {
    expect(ThreadId.safeParse(id).success).toBe(true);
  });

  it.each(["", "-t", "_t", "has space", "t/1", "t+1", "t".repeat(65), "t\n"])("refuses %j, saying what is allowed", (id) => {
    const result = ThreadId.safeParse(id);
    expect(result.success).toBe(false);
    expect(messageOf(result)).toBe("1-64 characters: letters, digits, '_' or '-', starting with a letter or digit");
  });
});

describe("AgentName", () => {
  it.each(["a", "deploybot", "deploy_bot-2", `a${"b".repeat(39)}`])("accepts %s", (name) => {
    expect(AgentName.safeParse(name).success).toBe(true);
  });

  it.each(["", "Deploybot", "2bot", "-bot", "deploy bot", "deploybot!", "deploybot.", `a${"b".repeat(40)}`])("refuses %j, saying what is allowed", (name) => {
    const result = AgentName.safeParse(name);
    expect(result.success).toBe(false);
    expect(messageOf(result)).toBe("lowercase letters, digits, '_' or '-', starting with a letter");
  });
});

describe("CallId and RequestId", () => {
  it("take 1 to 64 characters", () => {
    for (const schema of [CallId, RequestId]) {
      expect(schema.safeParse("x").success).toBe(true);
      expect(schema.safeParse("x".repeat(64)).success).toBe(true);
      expect(schema.safeParse("").success).toBe(false);
      expect(schema.safeParse("x".repeat(65)).success).toBe(false);
    }
  });
});
