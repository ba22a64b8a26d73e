import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Lives } from "./life.ts";

describe("Lives", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("is off until begin(), and begin() ends the previous life", () => {
    const lives = new Lives();
    expect(lives.alive).toBe(false);
    expect(lives.signal).toBeUndefined();
    const first = lives.begin();
    expect(lives.alive).toBe(true);
    const second = lives.begin();
    expect(first.aborted).toBe(true);
    expect(second.aborted).toBe(false);
    expect(lives.signal).toBe(second);
  });

  it("runs a timer of the current life", () => {
    const lives = new Lives();
    lives.begin();
    const fired: string[] = [];
    lives.later(100, () => fired.push("reconnect"));
    expect(lives.pendingTimers).toBe(1);
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(["reconnect"]);
    expect(lives.pendingTimers).toBe(0);
  });

  it("a timer set in a life never fires after that life ended, nor in the next one", () => {
    const lives = new Lives();
    const old = lives.begin();
    const fired: string[] = [];
    lives.later(100, () => fired.push("old life"));
    lives.end();
    expect(old.aborted).toBe(true);
    expect(lives.alive).toBe(false);
    lives.begin();
    lives.later(200, () => fired.push("new life"));
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual(["new life"]);
  });

  it("cancelTimers clears the timers but keeps the life (the uplink dropped, the camera is on)", () => {
    const lives = new Lives();
    const signal = lives.begin();
    const fired: string[] = [];
    lives.later(100, () => fired.push("pending reconnect"));
    lives.cancelTimers();
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]);
    expect(signal.aborted).toBe(false);
    expect(lives.alive).toBe(true);
  });
});
