// The one way an object announces something: a typed event map, `on` returns the function that unsubscribes,
// and a listener that throws (or rejects) is logged, never thrown into the code that emitted. The emitter is
// usually in the middle of a state change when it announces it; a bug in one listener must not leave that
// change half done, nor keep the other listeners from hearing about it.

/** Event name → the arguments its listeners receive, e.g. `{ state: [next: State, previous: State] }`. */
export type EventMap<Events> = { [Name in keyof Events]: unknown[] };

export type Listener<Args extends unknown[]> = (...args: Args) => unknown;

/** What the emitter needs of a logger (pino's fits). */
export interface ListenerErrorLog {
  error(details: Record<string, unknown>, message: string): void;
}

export interface TypedEventsOptions {
  /** Where listener failures go. */
  log: ListenerErrorLog;
  /** Names the emitter in those log lines, e.g. "camera". */
  name?: string;
}

/** The half of an emitter that listeners see; hand this out, keep `emit` to the owner. */
export interface EventSource<Events extends EventMap<Events>> {
  on<Name extends keyof Events & string>(event: Name, listener: Listener<Events[Name]>): () => void;
  once<Name extends keyof Events & string>(event: Name, listener: Listener<Events[Name]>): () => void;
  listenerCount(event: keyof Events & string): number;
}

export class TypedEvents<Events extends EventMap<Events>> implements EventSource<Events> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never[]>>>();
  readonly #log: ListenerErrorLog;
  readonly #name: string;

  constructor(options: TypedEventsOptions) {
    this.#log = options.log;
    this.#name = options.name ?? "events";
  }

  on<Name extends keyof Events & string>(event: Name, listener: Listener<Events[Name]>): () => void {
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const entry: Listener<Events[Name]> = (...args) => listener(...args);
    let listeners = this.#listeners.get(event);
    if (!listeners) this.#listeners.set(event, (listeners = new Set()));
    listeners.add(entry as Listener<never[]>);
    return () => {
      listeners.delete(entry as Listener<never[]>);
      if (listeners.size === 0 && this.#listeners.get(event) === listeners) this.#listeners.delete(event);
    };
  }

  once<Name extends keyof Events & string>(event: Name, listener: Listener<Events[Name]>): () => void {
    const unsubscribe = this.on(event, (...args) => {
      unsubscribe();
      return listener(...args);
    });
    return unsubscribe;
  }

  listenerCount(event: keyof Events & string): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener subscribed when the emit began, in subscription order. */
  emit<Name extends keyof Events & string>(event: Name, ...args: Events[Name]): void {
    const listeners = this.#listeners.get(event);
    if (!listeners) return;
    for (const listener of [...listeners]) this.#call(event, listener as Listener<Events[Name]>, args);
  }

  /** Drops every listener, e.g. when the owner is closed for good. */
  clear(): void {
    this.#listeners.clear();
  }

  #call<Name extends keyof Events & string>(event: Name, listener: Listener<Events[Name]>, args: Events[Name]) {
    try {
      const result = listener(...args);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.#report(event, error));
    } catch (error) {
      this.#report(event, error);
    }
  }

  #report(event: string, error: unknown) {
    const err = error instanceof Error ? { message: error.message, stack: error.stack } : { message: String(error) };
    this.#log.error({ emitter: this.#name, event, err }, "event listener failed");
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}
