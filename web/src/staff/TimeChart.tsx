// A small time-series chart with uPlot, which is loaded (with its CSS) only when a chart is first shown. Axis
// labels are written here in the reader's language (uPlot's own are English: "1:04am", "Time").
import { useEffect, useRef } from "preact/hooks";

export interface Series {
  label: string;
  stroke: string;
  stepped?: boolean;
  values: (number | null)[];
}

/** Tick labels for seconds since 1970: hours and minutes within two days, else month and day. */
function timeTicks(lang: string, spanS: number): (splits: number[]) => string[] {
  const format = new Intl.DateTimeFormat(
    lang,
    spanS <= 2 * 86_400
      ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
      : { month: "numeric", day: "numeric" },
  );
  return (splits) => splits.map((s) => format.format(new Date(s * 1000)));
}

export function TimeChart({
  times,
  series,
  lang,
  height = 160,
  xRange,
  yRange,
  yTicks,
}: {
  times: number[];
  series: Series[];
  lang: string;
  height?: number;
  /** The window shown, in seconds since 1970 (default: the data's own span). */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Words for y values (e.g. 0 → 离线, 1 → 在线) instead of the numbers. */
  yTicks?: Record<number, string>;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let chart: { destroy(): void } | null = null;
    let cancelled = false;
    void Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([{ default: UPlot }]) => {
      if (cancelled || !host.current) return;
      const width = host.current.clientWidth || 320;
      const span = xRange ? xRange[1] - xRange[0] : (times.at(-1) ?? 0) - (times[0] ?? 0);
      const xTicks = timeTicks(lang, span);
      chart = new UPlot(
        {
          width,
          height,
          scales: {
            x: { time: true, ...(xRange ? { range: () => xRange } : {}) },
            ...(yRange ? { y: { range: yRange } } : {}),
          },
          series: [
            {},
            ...series.map((s) => ({
              label: s.label,
              stroke: s.stroke,
              width: 2,
              ...(s.stepped ? { paths: UPlot.paths.stepped!({ align: 1 }) } : {}),
            })),
          ],
          axes: [
            { values: (_u: unknown, splits: number[]) => xTicks(splits) },
            {
              size: 56,
              ...(yTicks
                ? {
                    splits: () => Object.keys(yTicks).map(Number),
                    values: (_u: unknown, s: number[]) => s.map((v) => yTicks[v] ?? ""),
                  }
                : {}),
            },
          ],
          // The section's heading says what is drawn; uPlot's legend would add "Time: --".
          legend: { show: false },
        },
        [times, ...series.map((s) => s.values)],
        host.current,
      );
    });
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [times, series]);
  return <div class="chart" ref={host} />;
}
