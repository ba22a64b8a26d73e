// Days of simulated movement played through the real wellbeing service, on a clock the test moves: a camera's
// reports arrive every `reportEveryMin` and the leader's pass runs after each, so weeks take seconds.
import type { Database } from "../../core/database.ts";
import { randomId } from "../../core/secrets.ts";
import { instantOf, shiftDate } from "../../gateway/src/wellbeing/local-time.ts";
import { emptyHour, quantizeLevel, splitByHour, writeIntoHour } from "../../gateway/src/wellbeing/minutes.ts";
import type { WellbeingService } from "../../gateway/src/wellbeing/wellbeing-service.ts";

export const TIME_ZONE = "Asia/Shanghai";

export class TestClock {
  current = new Date("2026-11-01T00:00:00+08:00");
  readonly now = () => this.current;
  set(at: Date): void {
    this.current = at;
  }
}

export interface SimHousehold {
  householdId: string;
  deviceId: string;
}

/** A household in `village` with one claimed camera; `memberIds` join it as family. */
export async function createHousehold(
  db: Database,
  o: { village: string; elderName: string; memberIds?: string[] },
): Promise<SimHousehold> {
  const householdId = randomId("hh_", 12);
  await db.household.create({
    data: { id: householdId, village: o.village, elderName: o.elderName, contactPhone: "13800000000" },
  });
  for (const userId of o.memberIds ?? []) await db.householdMember.create({ data: { householdId, userId } });
  const deviceId = `cam_${randomId("", 12)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "0")
    .slice(0, 12)}`;
  await db.device.create({
    data: {
      id: deviceId,
      serial: `WX${randomId("", 10)
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, "0")
        .slice(0, 10)}`,
      claimCodeHash: "unused",
      claimState: "claimed",
      householdId,
      connection: "online",
    },
  });
  return { householdId, deviceId };
}

export interface PlayOptions {
  reportEveryMin?: number;
  /** Run the leader's pass after each report (default true). */
  evaluate?: boolean;
  /** Minutes [from, to) the camera could not report (a power cut): they never arrive. */
  offline?: [number, number];
  privacy?: boolean;
  /** Play only the minutes [fromMin, untilMin) of the day (default all). */
  fromMin?: number;
  untilMin?: number;
}

/** Plays one local day (1,440 levels) of several households in step, as their cameras would report it. */
export async function playDay(
  service: WellbeingService,
  clock: TestClock,
  date: string,
  households: { household: SimHousehold; levels: number[]; options?: PlayOptions }[],
  options: PlayOptions = {},
): Promise<void> {
  const every = options.reportEveryMin ?? 15;
  const midnight = instantOf(date, 0, TIME_ZONE).getTime();
  for (let end = (options.fromMin ?? 0) + every; end <= (options.untilMin ?? 1440); end += every) {
    clock.set(new Date(midnight + end * 60_000));
    for (const { household, levels, options: own } of households)
      await report(service, household.deviceId, midnight, levels, [end - every, end], { ...options, ...own });
    if (options.evaluate ?? true) await service.evaluate(clock.current);
  }
}

async function report(
  service: WellbeingService,
  deviceId: string,
  midnight: number,
  levels: number[],
  [from, to]: [number, number],
  options: PlayOptions,
): Promise<void> {
  let start = from;
  for (let minute = from; minute <= to; minute++) {
    const lost = options.offline && minute >= options.offline[0] && minute < options.offline[1];
    if (minute < to && !lost) continue;
    if (minute > start) {
      const outcome = await service.ingest(deviceId, {
        from: new Date(midnight + start * 60_000).toISOString(),
        levels: levels.slice(start, minute),
        privacy: options.privacy ?? false,
      });
      if (outcome !== "stored" && outcome !== "private") throw new Error(`report not stored: ${outcome}`);
    }
    start = minute + 1;
  }
}

export const dayAfter = (date: string, days = 1) => shiftDate(date, -days);

/**
 * Days that have already happened, written straight into the camera-hour rows (one query a day) as the ingest
 * would have stored them: the learning then sums them as it does any day. For history only: the days a test
 * is about go through playDay and the service.
 */
export async function seedHistory(
  db: Database,
  household: SimHousehold,
  first: string,
  days: number[][],
): Promise<void> {
  for (const [i, levels] of days.entries()) {
    const midnight = instantOf(dayAfter(first, i), 0, TIME_ZONE);
    const rows = splitByHour(midnight, levels.map(quantizeLevel).join("")).map((part) => ({
      deviceId: household.deviceId,
      hour: part.hour,
      minutes: writeIntoHour(emptyHour(), part.offset, part.digits),
    }));
    await db.activityHour.createMany({ data: rows });
  }
  // What the ingest keeps on the profile: the end of the last report and the last movement.
  const last = days.length - 1;
  const lastDay = instantOf(dayAfter(first, last), 0, TIME_ZONE).getTime();
  const lastMoving = days[last]!.map(quantizeLevel)
    .join("")
    .search(/[1-9]0*$/);
  const data = {
    lastReportAt: new Date(lastDay + 1440 * 60_000),
    lastActivityAt: lastMoving < 0 ? null : new Date(lastDay + lastMoving * 60_000),
  };
  await db.wellbeingProfile.upsert({
    where: { householdId: household.householdId },
    update: data,
    create: { householdId: household.householdId, ...data },
  });
}
