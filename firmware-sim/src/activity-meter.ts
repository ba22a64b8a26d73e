// The camera's motion meter: each minute, the share of frames with movement (from the household's simulated
// routine, routine.ts), kept on the camera and sent as one report every few minutes. While the camera cannot
// reach the broker it keeps the last hour; a change of privacy mode starts a new report (each report says
// whether its minutes were taken in privacy mode), and in privacy mode nothing is measured unless the household
// consented (the gateway's activity-settings command). Numbers only: no frame is involved.
import {
  ACTIVITY_REPORT_MAX_MINUTES,
  activityReportMessage,
  type ActivityReportMessage,
} from "../../protocol/wellbeing.ts";
import { householdRoutine, seededRandom, simulateDay, type Routine } from "./routine.ts";

/** The simulated households live in China Standard Time (UTC+8, no daylight saving). */
const LOCAL_OFFSET_MIN = 8 * 60;

export interface ActivityMeterOptions {
  /** Seeds the household's habits and days (the camera's serial, hashed). */
  seed: number;
  reportEveryMin: number;
  privacy: () => boolean;
  /** Whether the household consented to movement levels in privacy mode (absent: no). */
  measuresInPrivacy?: () => boolean;
  /** Sends a report; rejects when the camera is offline (the minutes are kept for the next try). */
  send(report: ActivityReportMessage): Promise<void>;
  clock?: () => number;
}

export class ActivityMeter {
  readonly #o: ActivityMeterOptions;
  readonly #routine: Routine;
  readonly #random: () => number;
  readonly #clock: () => number;
  #day: { index: number; levels: number[] } | null = null;
  #pending: { from: number; levels: number[]; privacy: boolean } | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: ActivityMeterOptions) {
    this.#o = options;
    this.#random = seededRandom(options.seed);
    this.#routine = householdRoutine(this.#random);
    this.#clock = options.clock ?? Date.now;
  }

  start(): void {
    if (this.#timer) return;
    const untilNextMinute = 60_000 - (this.#clock() % 60_000);
    this.#timer = setTimeout(() => {
      this.#timer = setInterval(() => void this.tick(), 60_000);
      void this.tick();
    }, untilNextMinute);
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Measures the minute that just ended and sends when a report is due. */
  async tick(): Promise<void> {
    const minuteStart = Math.floor(this.#clock() / 60_000) * 60_000 - 60_000;
    const privacy = this.#o.privacy();
    if (this.#pending && this.#pending.privacy !== privacy) {
      await this.#flush();
      this.#pending = null; // unsent (offline): a report has one privacy flag, so those minutes are given up
    }
    const level = this.#levelAt(minuteStart);
    if (privacy && !(this.#o.measuresInPrivacy?.() ?? false)) return; // private, without consent: nothing measured
    if (!this.#pending) this.#pending = { from: minuteStart, levels: [], privacy };
    this.#pending.levels.push(level);
    const excess = this.#pending.levels.length - ACTIVITY_REPORT_MAX_MINUTES;
    if (excess > 0) {
      this.#pending.levels.splice(0, excess);
      this.#pending.from += excess * 60_000;
    }
    if (this.#pending.levels.length >= this.#o.reportEveryMin) await this.#flush();
  }

  async #flush(): Promise<void> {
    const pending = this.#pending;
    if (!pending) return;
    const report = activityReportMessage.parse({
      from: new Date(pending.from).toISOString(),
      levels: pending.levels,
      privacy: pending.privacy,
    });
    try {
      await this.#o.send(report);
      if (this.#pending === pending) this.#pending = null;
    } catch {
      // offline: keep the minutes (up to an hour) for the next report
    }
  }

  #levelAt(at: number): number {
    const local = at / 60_000 + LOCAL_OFFSET_MIN;
    const index = Math.floor(local / 1440);
    if (this.#day?.index !== index) this.#day = { index, levels: simulateDay(this.#routine, this.#random) };
    return this.#day.levels[Math.floor(local) % 1440]!;
  }
}

/** A stable number from a serial, to seed its household's routine. */
export function seedFromSerial(serial: string): number {
  let hash = 2166136261;
  for (const char of serial) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619);
  return hash >>> 0;
}
