// Uptime from the online/offline transitions: the fraction of the window the camera was online.
// Time before the camera's first transition (not yet installed) is not counted against it.

export interface Transition {
  state: "online" | "offline";
  at: Date;
}

/**
 * @param before the last transition before the window starts (its state holds at the window's start), if any
 * @param inside transitions within [from, to], oldest first
 * @returns a fraction in [0, 1], or null when the camera had no known state in the window
 */
export function uptimeFraction(before: Transition | null, inside: Transition[], from: Date, to: Date): number | null {
  let state: Transition["state"] | null = before?.state ?? null;
  let cursor = before ? from.getTime() : inside[0]?.at.getTime() ?? to.getTime();
  const start = cursor;
  let online = 0;
  for (const t of inside) {
    const at = Math.min(Math.max(t.at.getTime(), from.getTime()), to.getTime());
    if (state === "online") online += at - cursor;
    cursor = Math.max(cursor, at);
    state = t.state;
  }
  if (state === "online") online += to.getTime() - cursor;
  const observed = to.getTime() - start;
  if (state === null || observed <= 0) return null;
  return online / observed;
}

export const uptimeWindows = { h24: 24 * 3600_000, d7: 7 * 24 * 3600_000, d30: 30 * 24 * 3600_000 } as const;
