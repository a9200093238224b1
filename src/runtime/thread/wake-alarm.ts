/** The part of the Durable Object's storage the wake-up uses: its one alarm. */
export type AlarmStorage = {
  getAlarm(): Promise<number | null>;
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
};

/**
 * Keeps the object's one Durable Object alarm at the earliest due time of the thread, to
 * the millisecond (`target` returns it in epoch ms, or undefined when nothing is owed).
 * The thread owns its alarm: the Agent SDK's scheduler is not used (docs/agents-sdk.md
 * says why, and what of the SDK this relies on). Why it cannot lose a timer:
 *
 * - Never early by more than the platform: the alarm is set at the due millisecond; a wake
 *   that finds nothing due yet (a clock a few ms behind) re-arms, and the next wake does it.
 * - Serialized: re-arms run one at a time, the latest request last, so an older
 *   computation never overwrites a newer one.
 * - Self-healing: every start, every wake and every append re-arms from the log, so an
 *   alarm that was lost, fired early or fired twice is replaced by the next re-arm.
 * - Cheap when nothing changed: most appends leave the due time where it was. A re-arm to
 *   the time this instance itself set last writes nothing. What is armed is unknown to a
 *   new instance and after the alarm fired (the platform clears it as it runs it): then
 *   `getAlarm` is asked once, and nothing is written if it already holds the target.
 */
export class WakeAlarm {
  /** What this instance last left armed (null: nothing); undefined when unknown. */
  #armed: number | null | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(
    private readonly storage: AlarmStorage,
    /** When to wake (epoch ms), or undefined when nothing is owed. */
    private readonly target: () => number | undefined,
  ) {}

  /** The alarm fired, or someone else may have written it (the SDK's own driver): ask storage next time. */
  forget(): void {
    this.#armed = undefined;
  }

  /** Re-arms from the current state; resolves once a re-arm that started after this call has finished. */
  rearm(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.loop();
    return this.#running;
  }

  /** Settles when no re-arm is running. */
  get settled(): Promise<void> {
    return this.#running ?? Promise.resolve();
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.#again = false;
      try {
        await this.once();
      } catch (error) {
        this.#armed = undefined;
        // Storage gone (an aborted or erased instance): the next start re-arms from the log.
        console.error("re-arming the wake-up failed", error);
      }
      // Checked and cleared in one synchronous step: a request that arrives later starts a new loop.
      if (!this.#again) {
        this.#running = undefined;
        return;
      }
    }
  }

  private async once(): Promise<void> {
    const at = this.target() ?? null;
    if (this.#armed === at) return;
    if (this.#armed === undefined && (await this.storage.getAlarm()) === at) {
      this.#armed = at;
      return;
    }
    this.#armed = undefined;
    if (at === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(at);
    this.#armed = at;
  }
}
