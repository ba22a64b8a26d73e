import type { StatusChange } from "../types.ts";

/**
 * Online (1) / offline (0) over the whole window, from transitions (newest first, as the API returns them). For a
 * camera installed inside the window, the time before its first transition is empty (null) and `since` says
 * when its record starts, so a young camera is drawn over the real 24 hours, not stretched over its minutes.
 */
export function onlineSeries(
  changes: StatusChange[],
  fromMs: number,
  nowMs: number,
): { times: number[]; values: (number | null)[]; since: number | null } {
  const ordered = [...changes].reverse();
  const times: number[] = [fromMs / 1000];
  const before = ordered.filter((c) => Date.parse(c.at) < fromMs).at(-1);
  const values: (number | null)[] = [before ? (before.state === "online" ? 1 : 0) : null];
  const inside = ordered.filter((c) => Date.parse(c.at) >= fromMs);
  for (const change of inside) {
    times.push(Date.parse(change.at) / 1000);
    values.push(change.state === "online" ? 1 : 0);
  }
  times.push(nowMs / 1000);
  values.push(values.at(-1) ?? null);
  const since = !before && inside[0] ? Date.parse(inside[0].at) : null;
  return { times, values, since };
}
