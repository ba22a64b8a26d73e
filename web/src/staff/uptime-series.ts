import type { StatusChange } from "../types.ts";

/**
 * Online (1) / offline (0) over a window, from transitions (newest first, as the API returns them). A camera
 * installed inside the window is drawn from its first transition, not from an empty stretch before it.
 */
export function onlineSeries(
  changes: StatusChange[],
  fromMs: number,
  nowMs: number,
): { times: number[]; values: (number | null)[] } {
  const ordered = [...changes].reverse();
  const times: number[] = [];
  const values: (number | null)[] = [];
  const before = ordered.filter((c) => Date.parse(c.at) < fromMs).at(-1);
  const first = ordered[0];
  if (!before && first) fromMs = Math.max(fromMs, Date.parse(first.at));
  times.push(fromMs / 1000);
  values.push(before ? (before.state === "online" ? 1 : 0) : null);
  for (const change of ordered) {
    const at = Date.parse(change.at);
    if (at < fromMs) continue;
    times.push(at / 1000);
    values.push(change.state === "online" ? 1 : 0);
  }
  times.push(nowMs / 1000);
  values.push(values.at(-1) ?? null);
  return { times, values };
}
