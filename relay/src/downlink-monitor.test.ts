import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DownlinkMonitor, defaultDownlinkPolicy, type DownlinkChange } from "./downlink-monitor.ts";

describe("DownlinkMonitor (audio-only fallback policy)", () => {
  let clock = 0;
  const changes: DownlinkChange[] = [];
  let monitor: DownlinkMonitor;
  const advance = (ms: number) => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };
  const reportEvery = (ms: number, count: number, lost: number, jitterMs = 5) => {
    for (let i = 0; i < count; i++) {
      advance(ms);
      monitor.report(lost, jitterMs);
    }
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0.5); // no back-off jitter
    clock = 0;
    changes.length = 0;
    monitor = new DownlinkMonitor(
      (c) => changes.push(c),
      defaultDownlinkPolicy,
      () => clock,
    );
  });
  afterEach(() => {
    monitor.close();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it("keeps video through light loss and a single bad report", () => {
    reportEvery(1000, 10, 0.03);
    monitor.report(0.9, 5);
    advance(2500);
    monitor.report(0.02, 5);
    expect(changes).toEqual([]);
  });

  it("pauses on sustained loss, probes after a back-off that doubles while the path stays bad, and resets once video holds", () => {
    reportEvery(1000, 2, 0.4);
    expect(changes).toEqual([{ state: "audio-only", reason: "loss 0.40" }]);
    monitor.report(0.9, 5); // reports while paused are ignored
    advance(3999);
    expect(changes).toHaveLength(1);
    advance(1);
    expect(changes[1]).toEqual({ state: "video", reason: "probe" });
    reportEvery(1000, 2, 0.5); // the try fails: wait 8 s this time
    expect(changes[2]!.state).toBe("audio-only");
    advance(7999);
    expect(changes).toHaveLength(3);
    advance(1);
    expect(changes[3]!.state).toBe("video");
    reportEvery(1000, 25, 0.01); // the path is good again
    reportEvery(1000, 2, 0.5);
    advance(4000); // back to the first back-off
    expect(changes.map((c) => c.state)).toEqual(["audio-only", "video", "audio-only", "video", "audio-only", "video"]);
  });

  it("pauses on a queue that keeps growing (jitter) even without loss", () => {
    reportEvery(1000, 3, 0, 600);
    expect(changes[0]!.reason).toBe("jitter 600 ms");
  });
});
