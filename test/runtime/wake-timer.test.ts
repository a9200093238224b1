import { describe, expect, it } from "vitest";
import { WakeTimer, type Scheduler, type ScheduleRow } from "../../src/runtime/thread/timers";

/** A scheduler that keeps its rows in memory and counts what the wake-up asks of it. */
function fakeScheduler() {
  let rows: ScheduleRow[] = [];
  let next = 0;
  const calls = { list: 0, cancel: 0, schedule: 0 };
  const scheduler: Scheduler = {
    listSchedules: () => {
      calls.list++;
      return rows;
    },
    cancelSchedule: async (id) => {
      calls.cancel++;
      rows = rows.filter((r) => r.id !== id);
    },
    schedule: async (when) => {
      calls.schedule++;
      const row = { id: `row-${++next}`, callback: "onTimer", time: when.getTime() / 1000 };
      rows = [...rows, row];
      return row;
    },
  };
  return { scheduler, calls, rows: () => rows, drop: (id: string) => (rows = rows.filter((r) => r.id !== id)) };
}

describe("WakeTimer skips the scheduler when nothing changed", () => {
  it("a re-arm to the second it armed itself reads nothing; a new second, a firing row or a new instance read again", async () => {
    const fake = fakeScheduler();
    let target: number | undefined = 100;
    const wake = new WakeTimer(fake.scheduler, () => target);
    await wake.rearm();
    expect(fake.calls).toEqual({ list: 1, cancel: 0, schedule: 1 });
    await wake.rearm();
    await wake.rearm();
    expect(fake.calls).toEqual({ list: 1, cancel: 0, schedule: 1 });

    target = 105;
    await wake.rearm();
    expect(fake.calls).toEqual({ list: 2, cancel: 1, schedule: 2 });
    expect(fake.rows().map((r) => r.time)).toEqual([105]);

    // The armed row starts to fire (the SDK deletes it after the callback): never trusted again.
    const firing = fake.rows()[0]?.id as string;
    wake.firing(firing);
    fake.drop(firing);
    await wake.rearm();
    expect(fake.calls).toEqual({ list: 3, cancel: 1, schedule: 3 });
    expect(fake.rows()).toHaveLength(1);

    // Nothing owed: the row is cancelled once, and later re-arms to "nothing" read nothing.
    target = undefined;
    await wake.rearm();
    await wake.rearm();
    expect(fake.calls).toEqual({ list: 4, cancel: 2, schedule: 3 });
    expect(fake.rows()).toEqual([]);

    // A new instance knows nothing of what the last one armed.
    target = 105;
    const fresh = new WakeTimer(fake.scheduler, () => target);
    await fresh.rearm();
    expect(fake.calls.list).toBe(5);
  });
});
