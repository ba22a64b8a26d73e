import { describe, expect, it } from "vitest";
import { uptimeFraction } from "./uptime.ts";

const t = (iso: string) => new Date(`2026-11-20T${iso}:00Z`);

describe("uptimeFraction", () => {
  const from = t("00:00");
  const to = t("10:00");

  it("is null with no known state", () => {
    expect(uptimeFraction(null, [], from, to)).toBeNull();
  });

  it("carries the state from before the window", () => {
    expect(uptimeFraction({ state: "online", at: t("00:00") }, [], from, to)).toBe(1);
    expect(uptimeFraction({ state: "offline", at: t("00:00") }, [], from, to)).toBe(0);
  });

  it("adds up online intervals exactly", () => {
    // online 0-2, offline 2-3, online 3-10 → 9 of 10 hours
    const before = { state: "online" as const, at: new Date(0) };
    const inside = [
      { state: "offline" as const, at: t("02:00") },
      { state: "online" as const, at: t("03:00") },
    ];
    expect(uptimeFraction(before, inside, from, to)).toBeCloseTo(0.9, 10);
  });

  it("does not count time before the first transition", () => {
    // installed at 05:00, offline 08:00-09:00 → 4 of 5 hours
    const inside = [
      { state: "online" as const, at: t("05:00") },
      { state: "offline" as const, at: t("08:00") },
      { state: "online" as const, at: t("09:00") },
    ];
    expect(uptimeFraction(null, inside, from, to)).toBeCloseTo(0.8, 10);
  });

  it("treats repeated states as one interval", () => {
    const inside = [
      { state: "online" as const, at: t("00:00") },
      { state: "online" as const, at: t("05:00") },
    ];
    expect(uptimeFraction(null, inside, from, to)).toBe(1);
  });
});
