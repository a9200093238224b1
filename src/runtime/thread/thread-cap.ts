import { MAX_NOTIFICATION_ATTEMPTS } from "../../channels";
import type { Rejection, ThreadState } from "../../core";
import { setting } from "../../settings";

/** Default cap on events per thread (MAX_THREAD_EVENTS). */
export const DEFAULT_MAX_THREAD_EVENTS = 5000;

/**
 * Events kept below the cap for the thread's own escalation: the thread_filled event and
 * every attempt to notify about it (two channels, webhook and email, each retried up to
 * MAX_NOTIFICATION_ATTEMPTS times), rounded up. Outside input stops this far below the cap,
 * so the escalation and its notifications always fit under it.
 */
export const FULL_HEADROOM = 16;

/** What the headroom must hold (a test checks it still fits when channels or attempts change). */
export const FULL_ESCALATION_EVENTS = 1 + 2 * MAX_NOTIFICATION_ATTEMPTS;

/** The thread's cap on events, and the seq from which it takes no more outside input. */
export function threadCap(env: Pick<Env, "MAX_THREAD_EVENTS">): { readonly cap: number; readonly inputLimit: number } {
  const cap = setting(env, "MAX_THREAD_EVENTS");
  return { cap, inputLimit: Math.max(1, cap - FULL_HEADROOM) };
}

/** Whether this thread must now record that it is full (once: not if it did, or has ended). */
export function mustFill(state: ThreadState, inputLimit: number): boolean {
  return !state.full && !state.end && state.lastSeq >= inputLimit;
}

/** 409 thread_full for outside input once the thread is at its input limit. */
export function fullRejection(state: ThreadState, cap: number, inputLimit: number): Rejection | undefined {
  if (state.lastSeq < inputLimit && !state.full) return undefined;
  return {
    status: 409,
    code: "thread_full",
    message: `Thread ${state.id} holds ${state.lastSeq} events (the cap is ${cap}, the last ${cap - inputLimit} kept for its escalation); it accepts no more input. Fork it or start a new one.`,
  };
}
