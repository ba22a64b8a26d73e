// Where movement is kept: one row per camera and UTC hour (60 characters), and one summary per household and
// finished local day. 10,000 cameras make 240,000 hour rows a day, written as five-minute reports arrive
// (about 33 upserts a second); the learning reads the 14 day summaries, never the hours.
import type { Database } from "../../../core/database.ts";
import { emptyHour, seriesFrom, splitByHour, writeIntoHour } from "./minutes.ts";
import { hourlyFromText, hourlyText, type DaySummary } from "./rhythm.ts";

export class ActivityStore {
  readonly #db: Database;
  /** One write at a time per camera: a report and its resend must not read the same row and both write it. */
  readonly #writing = new Map<string, Promise<void>>();

  constructor(db: Database) {
    this.#db = db;
  }

  write(deviceId: string, from: Date, digits: string): Promise<void> {
    const previous = this.#writing.get(deviceId) ?? Promise.resolve();
    const next = previous.then(() => this.#write(deviceId, from, digits));
    const settled = next.catch(() => undefined);
    this.#writing.set(deviceId, settled);
    void settled.then(() => {
      if (this.#writing.get(deviceId) === settled) this.#writing.delete(deviceId);
    });
    return next;
  }

  async #write(deviceId: string, from: Date, digits: string): Promise<void> {
    for (const part of splitByHour(from, digits)) {
      const key = { deviceId_hour: { deviceId, hour: part.hour } };
      const stored = await this.#db.activityHour.findUnique({ where: key, select: { minutes: true } });
      const minutes = writeIntoHour(stored?.minutes ?? emptyHour(), part.offset, part.digits);
      await this.#db.activityHour.upsert({
        where: key,
        update: { minutes },
        create: { deviceId, hour: part.hour, minutes },
      });
    }
  }

  /** Every camera of a household merged, minute by minute, from `start` for `length` minutes. */
  async series(householdId: string, start: Date, length: number): Promise<string> {
    const rows = await this.#db.activityHour.findMany({
      where: {
        device: { householdId },
        hour: { gte: new Date(start.getTime() - 3_600_000), lt: new Date(start.getTime() + length * 60_000) },
      },
      select: { hour: true, minutes: true },
    });
    return seriesFrom(rows, start, length);
  }

  async days(householdId: string, from: string, to: string): Promise<DaySummary[]> {
    const rows = await this.#db.activityDay.findMany({
      where: { householdId, day: { gte: from, lte: to } },
      orderBy: { day: "asc" },
    });
    return rows.map((r) => ({ ...r, hourlyActive: hourlyFromText(r.hourlyActive) }));
  }

  async saveDay(householdId: string, summary: DaySummary): Promise<void> {
    const data = { ...summary, hourlyActive: hourlyText(summary.hourlyActive) };
    const { day, ...rest } = data;
    await this.#db.activityDay.upsert({
      where: { householdId_day: { householdId, day } },
      update: rest,
      create: { householdId, ...data },
    });
  }

  /** Hours older than the retention go; day summaries are kept ten times as long (they are one row a day). */
  async prune(now: Date, retentionMs: number): Promise<number> {
    const { count } = await this.#db.activityHour.deleteMany({
      where: { hour: { lt: new Date(now.getTime() - retentionMs) } },
    });
    const oldestDay = new Date(now.getTime() - 10 * retentionMs).toISOString().slice(0, 10);
    await this.#db.activityDay.deleteMany({ where: { day: { lt: oldestDay } } });
    return count;
  }
}
