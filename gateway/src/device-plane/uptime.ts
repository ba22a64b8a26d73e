// Uptime from the online/offline transitions: the fraction of the window the camera was online.
// Time before the camera's first transition (not yet installed) is not counted against it, nor is time
// when no gateway was running (gateway-runs.ts): nobody watched then, so it is unknown, not online.

export interface Transition {
  state: "online" | "offline";
  at: Date;
}

export interface Interval {
  from: Date;
  to: Date;
}

/** Milliseconds of [from, to) covered by the intervals (which do not overlap one another). */
export function overlapMs(from: number, to: number, intervals: Interval[]): number {
  let total = 0;
  for (const interval of intervals)
    total += Math.max(0, Math.min(to, interval.to.getTime()) - Math.max(from, interval.from.getTime()));
  return total;
}

/**
 * @param before the last transition before the window starts (its state holds at the window's start), if any
 * @param inside transitions within [from, to], oldest first
 * @param unknown times when no gateway was running (not overlapping one another)
 * @returns a fraction in [0, 1], or null when the camera had no known state in the window
 */
export function uptimeFraction(
  before: Transition | null,
  inside: Transition[],
  from: Date,
  to: Date,
  unknown: Interval[] = [],
): number | null {
  let state: Transition["state"] | null = before?.state ?? null;
  let cursor = before ? from.getTime() : (inside[0]?.at.getTime() ?? to.getTime());
  const start = cursor;
  let online = 0;
  const onlineBetween = (a: number, b: number) => (b > a ? b - a - overlapMs(a, b, unknown) : 0);
  for (const t of inside) {
    const at = Math.min(Math.max(t.at.getTime(), from.getTime()), to.getTime());
    if (state === "online") online += onlineBetween(cursor, at);
    cursor = Math.max(cursor, at);
    state = t.state;
  }
  if (state === "online") online += onlineBetween(cursor, to.getTime());
  const observed = to.getTime() - start - overlapMs(start, to.getTime(), unknown);
  if (state === null || observed <= 0) return null;
  return online / observed;
}

export const uptimeWindows = { h24: 24 * 3600_000, d7: 7 * 24 * 3600_000, d30: 30 * 24 * 3600_000 } as const;
