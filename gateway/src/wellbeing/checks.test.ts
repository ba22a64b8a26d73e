// The pure rules of the wellbeing check-ins: minutes as text, the learned day, and when a question is due.
import { describe, expect, it } from "vitest";
import { dueCheck, type CheckSettings } from "./checks.ts";
import { instantOf, localMoment } from "./local-time.ts";
import { quantizeLevel, seriesFrom, splitByHour, writeIntoHour } from "./minutes.ts";
import { DEFAULT_RHYTHM, learnRhythm, summarizeDay, type Rhythm } from "./rhythm.ts";

const settings: CheckSettings = { enabled: true, startMarginMin: 120, quietHours: 4, awayUntil: null };
const rhythm: Rhythm = { ...DEFAULT_RHYTHM, usualStartMin: 6 * 60, usualEndMin: 21 * 60, learnedFromDays: 14 };
/** A day's minutes up to `length`: "0" (still) unless listed as moving, "." where not reported. */
function today(length: number, o: { moving?: number[]; unreported?: [number, number] } = {}): string {
  let out = "";
  for (let m = 0; m < length; m++) {
    const lost = o.unreported && m >= o.unreported[0] && m < o.unreported[1];
    out += lost ? "." : o.moving?.includes(m) ? "5" : "0";
  }
  return out;
}
const at = (nowMin: number, series: string, s = settings) =>
  dueCheck({ now: new Date("2026-11-24T12:00:00Z"), nowMin, today: series, rhythm, settings: s }, "2026-11-24");

describe("minutes as text", () => {
  it("counts a curtain's flicker as still and a person as movement", () => {
    expect([0, 4, 5, 11, 12, 100].map(quantizeLevel).join("")).toBe("001129");
  });

  it("splits a report across hours and keeps the stronger minute on a resend", () => {
    const parts = splitByHour(new Date("2026-11-24T00:58:00Z"), "1234");
    expect(parts.map((p) => [p.hour.toISOString(), p.offset, p.digits])).toEqual([
      ["2026-11-24T00:00:00.000Z", 58, "12"],
      ["2026-11-24T01:00:00.000Z", 0, "34"],
    ]);
    expect(writeIntoHour(".".repeat(60), 58, "12").slice(56)).toBe("..12");
    expect(writeIntoHour(`${".".repeat(58)}30`, 58, "12").slice(58)).toBe("32");
    const rows = parts.map((p) => ({ hour: p.hour, minutes: writeIntoHour(".".repeat(60), p.offset, p.digits) }));
    expect(seriesFrom(rows, new Date("2026-11-24T00:57:00Z"), 6)).toBe(".1234.");
  });

  it("knows the household's local day (Asia/Shanghai)", () => {
    expect(localMoment(new Date("2026-11-23T22:30:00Z"), "Asia/Shanghai")).toEqual({ date: "2026-11-24", minute: 390 });
    expect(instantOf("2026-11-24", 390, "Asia/Shanghai").toISOString()).toBe("2026-11-23T22:30:00.000Z");
  });
});

describe("the usual day", () => {
  const day = (i: number, first: number | null, covered = 1080) => ({
    ...summarizeDay(`d${i}`, today(1440, { moving: first === null ? [] : [first, 1200] }), false),
    coveredMinutes: covered,
  });

  it("keeps the defaults until five usable days are known", () => {
    expect(learnRhythm([day(1, 330), day(2, 335), day(3, 340), day(4, 345)])).toBe(DEFAULT_RHYTHM);
  });

  it("leaves out offline days and days without movement, and a lie-in or two moves little", () => {
    const days = [330, 335, 340, 345, 350, 330, 335, 340, 345, 350, 330, 335].map((m, i) => day(i, m));
    days.push(day(20, 600), day(21, 620)); // two holiday lie-ins
    days.push(day(22, null), day(23, 200 + 4 * 60, 100)); // nobody home; the camera off most of the day
    const learned = learnRhythm(days);
    expect(learned.learnedFromDays).toBe(14);
    expect(learned.usualStartMin).toBeGreaterThanOrEqual(340);
    expect(learned.usualStartMin).toBeLessThanOrEqual(350);
  });
});

describe("when a question is due", () => {
  it("asks that the day has not started once the reports reach usual start + margin", () => {
    expect(at(479, today(479))).toBeNull(); // 07:59: not yet due
    expect(at(485, today(479))).toBeNull(); // due, but the reports stop short of 08:00
    expect(at(485, today(485))).toMatchObject({ kind: "day-not-started", dueMin: 480, key: "2026-11-24" });
  });

  it("never asks about a morning the camera did not report, nor while it is not reporting now", () => {
    expect(at(500, today(500, { unreported: [240, 420] }))).toBeNull(); // offline most of the morning
    expect(at(500, today(500, { unreported: [470, 500] }))).toBeNull(); // offline now
  });

  it("asks about a daytime stretch without movement after N hours, not one ending after the usual evening", () => {
    const moving = [420, 600];
    expect(at(840, today(840, { moving }))).toBeNull(); // 14:00, 3 h 59 min after the last movement
    expect(at(842, today(842, { moving }))).toMatchObject({ kind: "quiet-daytime", dueMin: 841, lastActiveMin: 600 });
    expect(at(1320, today(1320, { moving: [420, 1020] }))).toBeNull(); // 17:00 + 4 h is past 21:00
  });

  it("asks nothing while away, or switched off", () => {
    const away = { ...settings, awayUntil: new Date("2026-11-25T00:00:00Z") };
    expect(at(600, today(600), away)).toBeNull();
    expect(at(600, today(600), { ...settings, enabled: false })).toBeNull();
  });
});
