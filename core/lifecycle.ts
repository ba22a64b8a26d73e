// A composition root's stack of closers: each resource registers what undoes it as soon as it has
// started, and stop() unwinds them in reverse (last started, first closed), once, within a deadline.
// fastify's onClose hooks and mediasoup's close() cascade are the models.

export interface LifecycleLog {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export class LifecycleTimeoutError extends Error {
  constructor(
    readonly step: string,
    readonly deadlineMs: number,
  ) {
    super(`stop did not finish within ${deadlineMs} ms: still waiting for "${step}"`);
  }
}

interface Closer {
  name: string;
  close(): Promise<void> | void;
}

export class Lifecycle {
  private readonly closers: Closer[] = [];
  private stopping: Promise<void> | null = null;

  constructor(private readonly log: LifecycleLog) {}

  get stopped(): boolean {
    return this.stopping !== null;
  }

  /** Registers what undoes a step that has just succeeded. */
  defer(name: string, close: () => Promise<void> | void): void {
    if (this.stopping) throw new Error(`cannot add "${name}": already stopping`);
    this.closers.push({ name, close });
  }

  /** Runs a start step and registers its closer only if it succeeded. */
  async step<T>(name: string, start: () => Promise<T> | T, close: (started: T) => Promise<void> | void): Promise<T> {
    const started = await start();
    this.defer(name, () => close(started));
    return started;
  }

  /** A step for a part that starts and stops itself; an absent part (null) is skipped. */
  async startPart(name: string, part: { start(): unknown; stop(): unknown } | null): Promise<void> {
    if (!part) return;
    await this.step(
      name,
      async () => {
        await part.start();
      },
      async () => {
        await part.stop();
      },
    );
  }

  /**
   * Closes everything in reverse order. A closer that fails is logged and the unwinding goes on; one that
   * does not finish before the deadline makes stop() reject (naming it) while the rest are still closed.
   * Calling it again returns the same promise.
   */
  stop(deadlineMs: number): Promise<void> {
    this.stopping ??= this.unwind(deadlineMs);
    return this.stopping;
  }

  private async unwind(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    let late: LifecycleTimeoutError | null = null;
    for (const closer of this.closers.splice(0).reverse()) {
      const left = late ? 250 : Math.max(0, deadline - Date.now());
      const outcome = await settleWithin(closer, left);
      if (outcome === "timeout") {
        this.log.error({ step: closer.name }, "stop step did not finish in time; going on without it");
        late ??= new LifecycleTimeoutError(closer.name, deadlineMs);
      } else if (outcome !== "ok") {
        this.log.error({ step: closer.name, err: outcome }, "stop step failed");
      }
    }
    if (late) throw late;
  }
}

async function settleWithin(closer: Closer, ms: number): Promise<"ok" | "timeout" | Error> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  const closing = (async () => closer.close())().then(
    () => "ok" as const,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  try {
    return await Promise.race([closing, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One round of a periodic job (an alert check, a wellbeing pass, a snapshot round) going through its cameras or
 * households one step at a time until `signal` says the job is stopping: the step in hand finishes (its queries are
 * not cut), no other starts, and what is left is still there for the next round to find, on whichever gateway leads
 * next. A round of a county on PostgreSQL can take tens of seconds; a stop must not wait for all of it (see
 * `Lifecycle.stop`'s deadline).
 */
export async function eachUntilStopped<T>(
  items: Iterable<T>,
  signal: AbortSignal | undefined,
  step: (item: T) => Promise<unknown>,
): Promise<void> {
  for (const item of items) {
    if (signal?.aborted) return;
    await step(item);
  }
}
