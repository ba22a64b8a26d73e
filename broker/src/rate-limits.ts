// Limits that protect the broker's CPU and its fairness: new TCP connections, per address under a global
// cap (one host opening connections as fast as it can must not starve a village's reconnects), and repeated
// authentication failures from one address (how credentials get guessed).

export type Clock = () => number;

/** Classic token bucket: `burst` tokens at most, refilled at `ratePerSecond`. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: Clock = Date.now,
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when the bucket is back to its burst: it remembers nothing and may be dropped. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.ratePerSecond);
    this.refilledAt = now;
  }
}

/** One token bucket per remote address; buckets that have refilled completely are forgotten. */
export class AddressBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  // Full buckets are swept only when the map grows, so a quiet broker does no work at all.
  private sweepAbove = 1024;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: Clock = Date.now,
  ) {}

  tryTake(address: string): boolean {
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= this.sweepAbove) this.sweep();
      bucket = new TokenBucket(this.ratePerSecond, this.burst, this.now);
      this.buckets.set(address, bucket);
    }
    return bucket.tryTake();
  }

  clear(): void {
    this.buckets.clear();
  }

  private sweep(): void {
    for (const [address, bucket] of this.buckets) if (bucket.isFull()) this.buckets.delete(address);
    this.sweepAbove = Math.max(1024, this.buckets.size * 2);
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

  constructor(
    private readonly failuresPerMinute: number,
    private readonly now: Clock = Date.now,
  ) {}

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
