// A camera's "life" is one power-on period: boot → (claim) → connect → online … A power cut, a reboot or a
// stop ends it, which aborts its signal (cancelling a claim request or a firmware download under way) and
// clears every timer it set, so nothing from a previous life can act after the camera restarted.

export class Lives {
  #controller: AbortController | null = null;
  readonly #timers = new Set<NodeJS.Timeout>();

  /** Whether the camera is switched on (a life is running). */
  get alive(): boolean {
    return this.#controller !== null;
  }

  /** The current life's signal; undefined while switched off. */
  get signal(): AbortSignal | undefined {
    return this.#controller?.signal;
  }

  /** Ends the current life, if any, and begins a new one. */
  begin(): AbortSignal {
    this.end();
    this.#controller = new AbortController();
    return this.#controller.signal;
  }

  end(): void {
    this.#controller?.abort();
    this.#controller = null;
    this.cancelTimers();
  }

  /** Runs `fn` after `ms` unless the life ends (or its timers are cancelled) first. */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  /** Clears pending timers but keeps the life: the uplink dropped, the camera is still on. */
  cancelTimers(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  get pendingTimers(): number {
    return this.#timers.size;
  }
}
