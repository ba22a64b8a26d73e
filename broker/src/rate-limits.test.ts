import { describe, expect, it } from "vitest";
import { AddressBuckets, AuthFailureLimiter, TokenBucket } from "./rate-limits.ts";

describe("TokenBucket", () => {
  it("allows a burst, then refills at the rate, never above the burst", () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
    now += 500; // one token at 2/s
    expect([bucket.tryTake(), bucket.tryTake()]).toEqual([true, false]);
    now += 60_000;
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).toEqual([true, true, true, false]);
  });
});

describe("AuthFailureLimiter", () => {
  it("blocks an address that reached the limit until its minute is over, and no other address", () => {
    let now = 0;
    const limiter = new AuthFailureLimiter(2, () => now);
    limiter.recordFailure("10.0.0.1");
    expect(limiter.isBlocked("10.0.0.1")).toBe(false);
    limiter.recordFailure("10.0.0.1");
    expect(limiter.isBlocked("10.0.0.1")).toBe(true);
    expect(limiter.isBlocked("10.0.0.2")).toBe(false);
    now += 59_999;
    expect(limiter.isBlocked("10.0.0.1")).toBe(true);
    now += 1;
    expect(limiter.isBlocked("10.0.0.1")).toBe(false);
  });
});

describe("AddressBuckets", () => {
  it("gives each address its own burst: one address running dry leaves the others theirs", () => {
    let now = 0;
    const buckets = new AddressBuckets(1, 2, () => now);
    expect([buckets.tryTake("10.0.0.1"), buckets.tryTake("10.0.0.1"), buckets.tryTake("10.0.0.1")]).toEqual([
      true,
      true,
      false,
    ]);
    expect(buckets.tryTake("10.0.0.2")).toBe(true);
    now += 1000;
    expect([buckets.tryTake("10.0.0.1"), buckets.tryTake("10.0.0.1")]).toEqual([true, false]);
  });
});
