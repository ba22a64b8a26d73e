import { describe, expect, it } from "vitest";
import { activityReportMessage, type ActivityReportMessage } from "../../protocol/wellbeing.ts";
import { ActivityMeter } from "./activity-meter.ts";
import { householdRoutine, seededRandom, simulateDay } from "./routine.ts";

function meter(options: { online: () => boolean; privacy?: () => boolean; consent?: boolean }) {
  let now = Date.parse("2026-11-30T22:00:00Z"); // 06:00 in China
  const sent: ActivityReportMessage[] = [];
  const m = new ActivityMeter({
    seed: 7,
    reportEveryMin: 5,
    privacy: options.privacy ?? (() => false),
    measuresInPrivacy: () => options.consent ?? false,
    clock: () => now,
    send: async (report) => {
      if (!options.online()) throw new Error("offline");
      sent.push(activityReportMessage.parse(report));
    },
  });
  const minutes = async (n: number) => {
    for (let i = 0; i < n; i++) {
      now += 60_000;
      await m.tick();
    }
  };
  return { sent, minutes };
}

describe("the camera's activity meter", () => {
  it("sends one report per five whole minutes, consecutive and never overlapping", async () => {
    const { sent, minutes } = meter({ online: () => true });
    await minutes(20);
    expect(sent.map((r) => r.levels.length)).toEqual([5, 5, 5, 5]);
    const starts = sent.map((r) => Date.parse(r.from));
    expect(starts.slice(1).map((t, i) => t - starts[i]!)).toEqual([300_000, 300_000, 300_000]);
  });

  it("keeps the last hour while offline and sends it when back", async () => {
    let online = false;
    const { sent, minutes } = meter({ online: () => online });
    await minutes(90);
    expect(sent).toEqual([]);
    online = true;
    await minutes(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.levels).toHaveLength(60);
  });

  it("in privacy mode measures nothing without the household's consent", async () => {
    let privacy = false;
    const { sent, minutes } = meter({ online: () => true, privacy: () => privacy });
    await minutes(3);
    privacy = true;
    await minutes(10);
    privacy = false;
    await minutes(5);
    expect(sent.map((r) => [r.privacy, r.levels.length])).toEqual([
      [false, 3],
      [false, 5],
    ]);
  });

  it("with consent, starts a new report where privacy mode changes", async () => {
    let privacy = false;
    const { sent, minutes } = meter({ online: () => true, privacy: () => privacy, consent: true });
    await minutes(3);
    privacy = true;
    await minutes(5);
    expect(sent.map((r) => [r.privacy, r.levels.length])).toEqual([
      [false, 3],
      [true, 5],
    ]);
  });

  it("a routine's day moves in the daytime and is still at night", () => {
    const random = seededRandom(3);
    const routine = householdRoutine(random);
    const day = simulateDay(routine, random);
    const moving = (from: number, to: number) => day.slice(from, to).filter((l) => l >= 5).length;
    expect(moving(routine.wakeMin + 90, routine.bedMin - 90)).toBeGreaterThan(60);
    expect(moving(60, 180)).toBeLessThan(5);
  });
});
