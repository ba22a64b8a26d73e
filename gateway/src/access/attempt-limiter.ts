// Slows guessing (passwords, claim codes, invite codes) without letting a guesser lock out the victim.
// Failures are counted per (subject, address) — a subject is an account name, a serial, an installer — and
// per address. The first `freeFailures` cost nothing; after that each failure doubles the wait before the
// next attempt, up to `maxDelayMs`. A correct answer from another address is never delayed by a guesser.
// An attempt is reserved (counted as a failure) before the slow hash is checked, so parallel guesses
// cannot all slip through while the first ones are still being verified.

export interface AttemptPolicy {
  /** Failures allowed before any delay. */
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key with no failure for this long starts afresh. */
  forgetAfterMs: number;
}

interface Entry {
  failures: number;
  nextAllowedAt: number;
  lastFailureAt: number;
}

export type Reservation =
  | {
      ok: true;
      /** Right answer: the pair's count is cleared and the address gets its reservation back. */ succeeded(): void;
    }
  | { ok: false; retryAfterS: number };

/** What the sign-in, claim and invite routes hold: this process's counts, or the cluster's (shared-attempt-limiter.ts). */
export interface GuessLimiter {
  reserve(subject: string, address: string): Reservation | Promise<Reservation>;
}

/** The guesses a gateway limits, each counted apart. */
export type GuessKind = "login" | "claim" | "bind" | "invite";
export type GuessLimiterFactory = (kind: GuessKind, freeFailures: number) => GuessLimiter;

/** One gateway alone: counts in this process. */
export const localGuessLimiters: GuessLimiterFactory = (_kind, freeFailures) => AttemptLimiter.standard(freeFailures);

/** The usual policies: `freeFailures` per (subject, address), ten times that per address, 15 minutes' memory. */
export function standardPolicies(freeFailures: number): { pair: AttemptPolicy; address: AttemptPolicy } {
  const base = { baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 15 * 60_000 };
  return { pair: { ...base, freeFailures }, address: { ...base, freeFailures: freeFailures * 10 } };
}

export function delayAfter(failures: number, policy: AttemptPolicy): number {
  if (failures < policy.freeFailures) return 0;
  return Math.min(policy.baseDelayMs * 2 ** (failures - policy.freeFailures), policy.maxDelayMs);
}

class Counter {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly policy: AttemptPolicy) {}

  waitMs(key: string, now: number): number {
    const entry = this.live(key, now);
    return entry ? Math.max(0, entry.nextAllowedAt - now) : 0;
  }

  reserve(key: string, now: number): void {
    const entry = this.live(key, now) ?? { failures: 0, nextAllowedAt: now, lastFailureAt: now };
    entry.failures += 1;
    entry.lastFailureAt = now;
    entry.nextAllowedAt = now + delayAfter(entry.failures, this.policy);
    this.entries.set(key, entry);
    if (this.entries.size > 100_000) this.sweep(now);
  }

  release(key: string, now: number): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.failures = Math.max(0, entry.failures - 1);
    if (entry.failures < this.policy.freeFailures) entry.nextAllowedAt = now;
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastFailureAt > this.policy.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries)
      if (now - entry.lastFailureAt > this.policy.forgetAfterMs) this.entries.delete(key);
  }
}

export class AttemptLimiter implements GuessLimiter {
  private readonly pairs: Counter;
  private readonly addresses: Counter;

  constructor(
    pairPolicy: AttemptPolicy,
    addressPolicy: AttemptPolicy,
    private readonly clock: () => number = Date.now,
  ) {
    this.pairs = new Counter(pairPolicy);
    this.addresses = new Counter(addressPolicy);
  }

  /** The usual policies: `freeFailures` per (subject, address), ten times that per address, 15 minutes' memory. */
  static standard(freeFailures: number, clock?: () => number): AttemptLimiter {
    const { pair, address } = standardPolicies(freeFailures);
    return new AttemptLimiter(pair, address, clock);
  }

  reserve(subject: string, address: string): Reservation {
    const now = this.clock();
    const pairKey = `${subject}\u0000${address}`;
    const waitMs = Math.max(this.pairs.waitMs(pairKey, now), this.addresses.waitMs(address, now));
    if (waitMs > 0) return { ok: false, retryAfterS: Math.ceil(waitMs / 1000) };
    this.pairs.reserve(pairKey, now);
    this.addresses.reserve(address, now);
    let settled = false;
    return {
      ok: true,
      succeeded: () => {
        if (settled) return;
        settled = true;
        this.pairs.clear(pairKey);
        this.addresses.release(address, this.clock());
      },
    };
  }
}
