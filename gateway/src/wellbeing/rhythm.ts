// Each household's usual day, learned from its last two weeks: when the day usually starts and ends, and how
// much it usually moves each hour. One summary per finished day (ActivityDay) is all the learning reads.
import { isMoving, isReported } from "./minutes.ts";

/** Movement before this (04:00) is the night, not the start of the day. */
export const DAY_OPEN_MIN = 4 * 60;
/** Coverage is counted over the waking hours, 04:00–22:00. */
const COVERAGE_END_MIN = 22 * 60;
const WAKING_MINUTES = COVERAGE_END_MIN - DAY_OPEN_MIN;
/** A day counts for learning when its cameras reported at least this share of the waking hours. */
const MIN_COVERAGE = 0.8;
/** Fewer usable days than this: the defaults. */
export const MIN_LEARNING_DAYS = 5;
export const LEARNING_DAYS = 14;

export interface DaySummary {
  day: string;
  firstActiveMin: number | null;
  lastActiveMin: number | null;
  activeMinutes: number;
  coveredMinutes: number;
  /** Moving minutes in each of the 24 hours. */
  hourlyActive: number[];
  away: boolean;
}

export interface Rhythm {
  usualStartMin: number;
  usualEndMin: number;
  /** Usual share of moving minutes in each hour, 0–1. */
  usualHourly: number[];
  /** Usable days it was learned from; 0 means the defaults. */
  learnedFromDays: number;
}

/**
 * A new household's day, until five usable days are known: rural elders mostly rise before 7, so 08:00 keeps
 * a late riser from being asked about on the first mornings; the evening ends at 21:00.
 */
export const DEFAULT_RHYTHM: Rhythm = {
  usualStartMin: 8 * 60,
  usualEndMin: 21 * 60,
  usualHourly: Array.from({ length: 24 }, (_, h) => (h >= 7 && h < 21 ? 0.2 : 0)),
  learnedFromDays: 0,
};

/** One local day's 1,440 minutes (merged cameras) as its summary. */
export function summarizeDay(day: string, series: string, away: boolean): DaySummary {
  let firstActiveMin: number | null = null;
  let lastActiveMin: number | null = null;
  let activeMinutes = 0;
  let coveredMinutes = 0;
  const hourlyActive = new Array<number>(24).fill(0);
  for (let minute = 0; minute < series.length; minute++) {
    const c = series[minute];
    if (minute >= DAY_OPEN_MIN && minute < COVERAGE_END_MIN && isReported(c)) coveredMinutes++;
    if (!isMoving(c)) continue;
    hourlyActive[Math.floor(minute / 60)]!++;
    if (minute < DAY_OPEN_MIN) continue;
    activeMinutes++;
    firstActiveMin ??= minute;
    lastActiveMin = minute;
  }
  return { day, firstActiveMin, lastActiveMin, activeMinutes, coveredMinutes, hourlyActive, away };
}

function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/**
 * The usual day from the last two weeks. Days away, days the camera mostly did not report, and days with no
 * movement at all (nobody home) teach nothing and are left out. The start is the later quartile of the
 * starts: a holiday lie-in or two does not move it, a lasting change does within a few days.
 */
export function learnRhythm(days: DaySummary[]): Rhythm {
  const usable = days.filter(
    (d) => !d.away && d.firstActiveMin !== null && d.coveredMinutes >= MIN_COVERAGE * WAKING_MINUTES,
  );
  if (usable.length < MIN_LEARNING_DAYS) return DEFAULT_RHYTHM;
  const starts = usable.map((d) => d.firstActiveMin!).sort((a, b) => a - b);
  const ends = usable.map((d) => d.lastActiveMin!).sort((a, b) => a - b);
  const usualHourly = Array.from({ length: 24 }, (_, hour) => {
    const total = usable.reduce((sum, d) => sum + (d.hourlyActive[hour] ?? 0), 0);
    return Math.round((total / usable.length / 60) * 100) / 100;
  });
  return {
    usualStartMin: Math.round(quantile(starts, 0.75) / 5) * 5,
    usualEndMin: Math.round(quantile(ends, 0.5) / 5) * 5,
    usualHourly,
    learnedFromDays: usable.length,
  };
}

export const hourlyText = (counts: number[]) => counts.join(",");
export const hourlyFromText = (text: string) => text.split(",").map(Number);
