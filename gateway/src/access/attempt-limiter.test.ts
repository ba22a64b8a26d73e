import { describe, expect, it } from "vitest";
import { AttemptLimiter } from "./attempt-limiter.ts";

function limiterAt(start = 1_000_000) {
  const clock = { now: start };
  return { clock, limiter: AttemptLimiter.standard(3, () => clock.now) };
}

describe("AttemptLimiter", () => {
  it("lets the free failures through, then makes each further attempt wait twice as long", () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 3; i++) expect(limiter.reserve("staff", "6.6.6.6").ok).toBe(true);
    expect(limiter.reserve("staff", "6.6.6.6")).toEqual({ ok: false, retryAfterS: 1 });
    clock.now += 1000;
    expect(limiter.reserve("staff", "6.6.6.6").ok).toBe(true);
    expect(limiter.reserve("staff", "6.6.6.6")).toEqual({ ok: false, retryAfterS: 2 });
  });

  it("never delays the right password from another address", () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 3; i++) limiter.reserve("staff", "6.6.6.6");
    expect(limiter.reserve("staff", "6.6.6.6").ok).toBe(false);
    expect(limiter.reserve("staff", "10.0.0.7").ok).toBe(true);
  });

  it("counts parallel attempts at once: reserved before they are checked", () => {
    const { limiter } = limiterAt();
    const results = Array.from({ length: 20 }, () => limiter.reserve("staff", "6.6.6.6").ok);
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  it("limits one address across many subjects, at ten times the per-subject allowance", () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 30; i++) expect(limiter.reserve(`user${i}`, "6.6.6.6").ok).toBe(true);
    expect(limiter.reserve("user-new", "6.6.6.6").ok).toBe(false);
  });

  it("a success clears the pair and gives the address its reservation back", () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 2; i++) limiter.reserve("staff", "6.6.6.6");
    const right = limiter.reserve("staff", "6.6.6.6");
    expect(right.ok).toBe(true);
    if (right.ok) right.succeeded();
    for (let i = 0; i < 3; i++) expect(limiter.reserve("staff", "6.6.6.6").ok).toBe(true);
  });

  it("forgets after a quiet quarter of an hour", () => {
    const { clock, limiter } = limiterAt();
    for (let i = 0; i < 3; i++) limiter.reserve("staff", "6.6.6.6");
    clock.now += 15 * 60_000 + 1;
    expect(limiter.reserve("staff", "6.6.6.6").ok).toBe(true);
  });
});
