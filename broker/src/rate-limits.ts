// Limits that protect the broker's CPU: new TCP connections (each may cost a credential check) and repeated
// authentication failures from one address (each costs an scrypt and is how credentials get guessed).

export type Clock = () => number;

/** Classic token bucket: `burst` tokens at most, refilled at `ratePerSecond`. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly ratePerSecond: number, private readonly burst: number, private readonly now: Clock = Date.now) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  tryTake(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Counts authentication failures per remote address in fixed one-minute windows. Once an address reaches
 * the limit it stays blocked until its window ends.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { startedAt: number; failures: number }>();
  private static readonly windowMs = 60_000;
  // Stale windows are swept only when the map grows, so a quiet broker does no work at all.
  private static readonly sweepAbove = 10_000;

  constructor(private readonly failuresPerMinute: number, private readonly now: Clock = Date.now) {}

  isBlocked(address: string): boolean {
    const window = this.current(address);
    return window !== undefined && window.failures >= this.failuresPerMinute;
  }

  recordFailure(address: string): void {
    const window = this.current(address);
    if (window) window.failures++;
    else {
      if (this.windows.size >= AuthFailureLimiter.sweepAbove) this.sweep();
      this.windows.set(address, { startedAt: this.now(), failures: 1 });
    }
  }

  clear(): void {
    this.windows.clear();
  }

  private current(address: string) {
    const window = this.windows.get(address);
    if (window && this.now() - window.startedAt >= AuthFailureLimiter.windowMs) {
      this.windows.delete(address);
      return undefined;
    }
    return window;
  }

  private sweep(): void {
    const now = this.now();
    for (const [address, window] of this.windows) {
      if (now - window.startedAt >= AuthFailureLimiter.windowMs) this.windows.delete(address);
    }
  }
}
