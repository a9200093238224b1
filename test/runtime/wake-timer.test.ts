import { describe, expect, it } from "vitest";
import { WakeAlarm, type AlarmStorage } from "../../src/runtime/thread/wake-alarm";

/** An alarm slot in memory that counts what the wake-up asks of it. */
function fakeAlarm() {
  let alarm: number | null = null;
  const calls = { get: 0, set: 0, delete: 0 };
  const storage: AlarmStorage = {
    getAlarm: async () => {
      calls.get++;
      return alarm;
    },
    setAlarm: async (at) => {
      calls.set++;
      alarm = at;
    },
    deleteAlarm: async () => {
      calls.delete++;
      alarm = null;
    },
  };
  return { storage, calls, alarm: () => alarm, fire: () => (alarm = null) };
}

describe("WakeAlarm keeps the one alarm at the due millisecond, and touches storage only when it changes", () => {
  it("a re-arm to the time it set itself asks nothing; a new time writes once; a fired alarm or a new instance asks storage once", async () => {
    const fake = fakeAlarm();
    let target: number | undefined = 100_123;
    const wake = new WakeAlarm(fake.storage, () => target);
    await wake.rearm();
    expect(fake.alarm()).toBe(100_123); // to the millisecond: no rounding
    expect(fake.calls).toEqual({ get: 1, set: 1, delete: 0 });
    await wake.rearm();
    await wake.rearm();
    expect(fake.calls).toEqual({ get: 1, set: 1, delete: 0 });

    target = 105_001;
    await wake.rearm();
    expect(fake.calls).toEqual({ get: 1, set: 2, delete: 0 });
    expect(fake.alarm()).toBe(105_001);

    // The alarm fires (the platform clears it): what is armed is unknown until asked.
    fake.fire();
    wake.forget();
    await wake.rearm();
    expect(fake.calls).toEqual({ get: 2, set: 3, delete: 0 });
    expect(fake.alarm()).toBe(105_001);

    // Nothing owed: deleted once, and later re-arms to "nothing" touch nothing.
    target = undefined;
    await wake.rearm();
    await wake.rearm();
    expect(fake.calls).toEqual({ get: 2, set: 3, delete: 1 });
    expect(fake.alarm()).toBeNull();

    // A new instance asks once, and writes nothing when storage already holds the target.
    target = 105_001;
    await fake.storage.setAlarm(105_001);
    const fresh = new WakeAlarm(fake.storage, () => target);
    await fresh.rearm();
    expect(fake.calls).toEqual({ get: 3, set: 4, delete: 1 });
  });

  it("re-arms are serialized and the newest state lands last", async () => {
    const fake = fakeAlarm();
    let target: number | undefined = 1_000;
    const wake = new WakeAlarm(fake.storage, () => target);
    const first = wake.rearm();
    target = 2_000;
    const second = wake.rearm();
    target = 3_000;
    const third = wake.rearm();
    await Promise.all([first, second, third]);
    expect(fake.alarm()).toBe(3_000);
  });

  it("a storage error leaves the state unknown, and the next re-arm writes again", async () => {
    const fake = fakeAlarm();
    let fail = true;
    const storage: AlarmStorage = {
      ...fake.storage,
      setAlarm: async (at) => {
        if (fail) throw new Error("storage gone");
        await fake.storage.setAlarm(at);
      },
    };
    const wake = new WakeAlarm(storage, () => 7_000);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      await wake.rearm();
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
    expect(fake.alarm()).toBeNull();
    fail = false;
    await wake.rearm();
    expect(fake.alarm()).toBe(7_000);
  });
});
