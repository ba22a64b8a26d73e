// The two questions, as one pure function of today's minutes: has the day started by its usual time plus the
// margin, and has a daytime stretch gone without movement for N hours. A question is asked only when the
// cameras' reports reach the moment it falls due and cover the stretch it is about: a camera that was offline
// (or private without consent) is offline, never "no activity".
import type { WellbeingCheckKind } from "../../../protocol/wellbeing.ts";
import { isMoving, isReported } from "./minutes.ts";
import { DAY_OPEN_MIN, type Rhythm } from "./rhythm.ts";

/** Reports older than this (minutes) mean the camera is not reporting now. */
export const STALE_REPORT_MIN = 15;
/** Share of the morning (04:00 → due) that must be reported before "the day has not started" is asked. */
const MORNING_COVERAGE = 0.75;
/** Share of a quiet stretch that must be reported before it is asked about. */
const QUIET_COVERAGE = 0.9;

export interface CheckSettings {
  enabled: boolean;
  startMarginMin: number;
  quietHours: number;
  awayUntil: Date | null;
}

export interface CheckInput {
  now: Date;
  /** Local minute of the day now. */
  nowMin: number;
  /** Today's minutes from local midnight up to now (merged cameras). */
  today: string;
  rhythm: Rhythm;
  settings: CheckSettings;
}

export interface DueCheck {
  kind: WellbeingCheckKind;
  /** Unique per household and kind: the day, or the quiet stretch's first minute. */
  key: string;
  /** Local minute of the day it fell due. */
  dueMin: number;
  /** Local minute of the last movement before it (null: none today). */
  lastActiveMin: number | null;
}

/** One past the last reported minute (0: nothing reported today). */
export function reportedUntil(today: string): number {
  for (let i = today.length - 1; i >= 0; i--) if (isReported(today[i])) return i + 1;
  return 0;
}

export function lastMovement(today: string, before = today.length): number | null {
  for (let i = Math.min(before, today.length) - 1; i >= DAY_OPEN_MIN; i--) if (isMoving(today[i])) return i;
  return null;
}

function coverage(today: string, from: number, to: number): number {
  if (to <= from) return 0;
  let reported = 0;
  for (let i = from; i < to; i++) if (isReported(today[i])) reported++;
  return reported / (to - from);
}

export const isAway = (settings: CheckSettings, now: Date) =>
  settings.awayUntil !== null && settings.awayUntil.getTime() > now.getTime();

/** The check that is due now, if any (the caller asks each one once: its key is unique). */
export function dueCheck(input: CheckInput, date: string): DueCheck | null {
  const { today, nowMin, rhythm, settings } = input;
  if (!settings.enabled || isAway(settings, input.now)) return null;
  const reported = reportedUntil(today);
  if (reported < nowMin - STALE_REPORT_MIN) return null; // offline or private now
  const last = lastMovement(today, reported);
  if (last === null) {
    const dueMin = Math.min(rhythm.usualStartMin + settings.startMarginMin, rhythm.usualEndMin);
    if (reported < dueMin || coverage(today, DAY_OPEN_MIN, dueMin) < MORNING_COVERAGE) return null;
    return { kind: "day-not-started", key: date, dueMin, lastActiveMin: null };
  }
  const quietFrom = last + 1;
  const dueMin = quietFrom + Math.round(settings.quietHours * 60);
  const daytime = dueMin >= rhythm.usualStartMin && dueMin <= rhythm.usualEndMin;
  if (!daytime || reported < dueMin || coverage(today, quietFrom, dueMin) < QUIET_COVERAGE) return null;
  return { kind: "quiet-daytime", key: `${date}+${quietFrom}`, dueMin, lastActiveMin: last };
}

/** Movement seen after a check fell due: the question answers itself. */
export function movedSince(today: string, sinceMin: number): boolean {
  for (let i = Math.max(0, sinceMin); i < today.length; i++) if (isMoving(today[i])) return true;
  return false;
}
