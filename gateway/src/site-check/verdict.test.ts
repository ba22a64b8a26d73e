import { describe, expect, it } from "vitest";
import type { SiteCheckMeasurements, TrackIngest } from "../../../protocol/site-check.ts";
import { judgeSiteCheck, siteCheckThresholds as limits } from "./verdict.ts";

const track = (kbps: number, lossPct = 0, packets = 500): TrackIngest => ({
  kbps,
  packets,
  lost: Math.round((packets * lossPct) / (100 - Math.min(lossPct, 99))),
  lossPct,
});

function measured(overrides: Partial<SiteCheckMeasurements> = {}): SiteCheckMeasurements {
  return {
    streamS: 10,
    video: track(410),
    audio: track(38),
    roundTripMs: { median: 40, max: 90, samples: 5 },
    rssiDbm: -52,
    clockSkewMs: 120,
    ...overrides,
  };
}

describe("judgeSiteCheck: the verdict", () => {
  it("a stream that arrives whole is video OK, with no advice", () => {
    expect(judgeSiteCheck(measured())).toEqual({ verdict: "video-ok", advice: [] });
  });

  it("video at exactly the thresholds is still OK; just under either one is not", () => {
    const edge = measured({ video: track(limits.videoMinKbps, limits.videoMaxLossPct) });
    expect(judgeSiteCheck(edge).verdict).toBe("video-ok");
    expect(judgeSiteCheck(measured({ video: track(limits.videoMinKbps - 1, 0) })).verdict).toBe("audio-only");
    expect(judgeSiteCheck(measured({ video: track(400, limits.videoMaxLossPct + 0.1) })).verdict).toBe("audio-only");
  });

  it("a link that carries a call but not the picture is audio only", () => {
    const throttled = measured({ video: track(120, 62), audio: track(14, 60) });
    expect(judgeSiteCheck(throttled).verdict).toBe("audio-only");
  });

  it("below what a call needs, or with no audio at all, it is no video", () => {
    const edge = limits.callMinKbps;
    expect(judgeSiteCheck(measured({ video: track(edge - 10, 90), audio: track(10, 90) })).verdict).toBe("audio-only");
    expect(judgeSiteCheck(measured({ video: track(edge - 11, 90), audio: track(10, 90) })).verdict).toBe("no-video");
    expect(judgeSiteCheck(measured({ video: track(0, 0, 0), audio: track(0, 0, 0) })).verdict).toBe("no-video");
    expect(judgeSiteCheck(measured({ video: track(200, 50), audio: track(0, 0, 0) })).verdict).toBe("no-video");
  });
});

describe("judgeSiteCheck: the advice", () => {
  it("weak Wi-Fi below the signal threshold, not at it", () => {
    expect(judgeSiteCheck(measured({ rssiDbm: limits.weakWifiDbm })).advice).toEqual([]);
    expect(judgeSiteCheck(measured({ rssiDbm: limits.weakWifiDbm - 1 })).advice).toEqual(["weak-wifi"]);
  });

  it("clock skew either way beyond the limit", () => {
    expect(judgeSiteCheck(measured({ clockSkewMs: limits.clockSkewMaxMs })).advice).toEqual([]);
    expect(judgeSiteCheck(measured({ clockSkewMs: limits.clockSkewMaxMs + 1 })).advice).toEqual(["clock-skew"]);
    expect(judgeSiteCheck(measured({ clockSkewMs: -limits.clockSkewMaxMs - 1 })).advice).toEqual(["clock-skew"]);
  });

  it("slow round trips, and several pieces of advice together", () => {
    const all = measured({
      rssiDbm: -82,
      clockSkewMs: 90_000,
      roundTripMs: { median: limits.slowRoundTripMs + 1, max: 3000, samples: 5 },
    });
    expect(judgeSiteCheck(all)).toEqual({
      verdict: "video-ok",
      advice: ["weak-wifi", "clock-skew", "slow-round-trip"],
    });
  });

  it("unknown readings give no advice", () => {
    const unknown = measured({ rssiDbm: null, clockSkewMs: null, roundTripMs: { median: 0, max: 0, samples: 0 } });
    expect(judgeSiteCheck(unknown).advice).toEqual([]);
  });
});
