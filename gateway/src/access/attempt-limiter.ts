// Counts failed attempts per key (login name, IP, serial) in a fixed window; past the limit, refuse.
export class AttemptLimiter {
  private readonly failures = new Map<string, { count: number; windowEndsAt: number }>();

  constructor(private readonly maxFailures: number, private readonly windowMs: number) {}

  /** Seconds to wait before trying again, or 0 when allowed. */
  retryAfterS(key: string, now = Date.now()): number {
    const entry = this.failures.get(key);
    if (!entry || entry.windowEndsAt <= now) return 0;
    return entry.count >= this.maxFailures ? Math.ceil((entry.windowEndsAt - now) / 1000) : 0;
  }

  fail(key: string, now = Date.now()): void {
    const entry = this.failures.get(key);
    if (!entry || entry.windowEndsAt <= now) this.failures.set(key, { count: 1, windowEndsAt: now + this.windowMs });
    else entry.count += 1;
    if (this.failures.size > 100_000) this.sweep(now);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.failures) if (entry.windowEndsAt <= now) this.failures.delete(key);
  }
}
