// A call's clocks: how long it rings before it is missed, when a call home answers by itself (the household's
// auto-answer), and how long an answered call may go unwatched. Each fires once; what it does is the caller's.
import type { CallLogger } from "./call-notices.ts";

export interface CallTimerOptions {
  ringMs: number;
  /** An answered call that nobody is watching this long after the answer ends (the app closed, relay off). */
  unwatchedEndMs: number;
  /** Whether anybody watches the camera through this gateway now (or its stream is starting or stopping). */
  isWatched(deviceId: string): boolean;
  log: CallLogger;
  /** Nobody answered within `ringMs`. */
  ringOut(callId: string): Promise<void>;
  /** The household's auto-answer time passed while the call home rang. */
  autoAnswer(callId: string): Promise<void>;
  /** An answered call nobody watched. */
  endUnwatched(callId: string): Promise<unknown>;
}

export class CallTimers {
  readonly #o: CallTimerOptions;
  readonly #ring = new Map<string, NodeJS.Timeout>();
  readonly #autoAnswer = new Map<string, NodeJS.Timeout>();
  readonly #unwatched = new Map<string, NodeJS.Timeout>();

  constructor(options: CallTimerOptions) {
    this.#o = options;
  }

  armRing(callId: string): void {
    this.#arm(this.#ring, callId, this.#o.ringMs, () =>
      this.#o
        .ringOut(callId)
        .catch((err: Error) => this.#o.log.warn({ callId, err: err.message }, "could not end an unanswered call")),
    );
  }

  armAutoAnswer(callId: string, afterMs: number): void {
    this.#arm(this.#autoAnswer, callId, afterMs, () =>
      this.#o
        .autoAnswer(callId)
        .catch((err: Error) => this.#o.log.warn({ callId, err: err.message }, "auto-answer failed")),
    );
  }

  /**
   * An answered call is a view between two people: if nobody is watching a while after the answer (the caller's
   * app closed before it joined, the relay is off), it ends, and nothing granted for it outlives it. Once
   * somebody watched, the stream stopping ends it (CallService.onStreamStopped).
   */
  armUnwatchedEnd(callId: string, deviceId: string): void {
    this.#arm(this.#unwatched, callId, this.#o.unwatchedEndMs, () => {
      if (this.#o.isWatched(deviceId)) return;
      this.#o
        .endUnwatched(callId)
        .catch((err: Error) => this.#o.log.warn({ callId, err: err.message }, "unwatched call not ended"));
    });
  }

  /** The call stopped ringing (answered, cancelled, declined): neither the ring nor the auto-answer fires. */
  clearRinging(callId: string): void {
    this.#clear(this.#ring, callId);
    this.clearAutoAnswer(callId);
  }

  clearAutoAnswer(callId: string): void {
    this.#clear(this.#autoAnswer, callId);
  }

  clearUnwatched(callId: string): void {
    this.#clear(this.#unwatched, callId);
  }

  stop(): void {
    for (const timers of [this.#ring, this.#autoAnswer, this.#unwatched]) {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    }
  }

  #arm(timers: Map<string, NodeJS.Timeout>, callId: string, afterMs: number, fire: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(callId);
      fire();
    }, afterMs);
    timer.unref();
    timers.set(callId, timer);
  }

  #clear(timers: Map<string, NodeJS.Timeout>, callId: string): void {
    clearTimeout(timers.get(callId));
    timers.delete(callId);
  }
}
