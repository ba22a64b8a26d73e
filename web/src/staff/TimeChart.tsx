// A small time-series chart with uPlot, which is loaded (with its CSS) only when a chart is first shown.
import { useEffect, useRef } from "preact/hooks";

export interface Series {
  label: string;
  stroke: string;
  stepped?: boolean;
  values: (number | null)[];
}

export function TimeChart({
  times,
  series,
  height = 160,
  yRange,
}: {
  times: number[];
  series: Series[];
  height?: number;
  yRange?: [number, number];
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let chart: { destroy(): void } | null = null;
    let cancelled = false;
    void Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([{ default: UPlot }]) => {
      if (cancelled || !host.current) return;
      const width = host.current.clientWidth || 320;
      chart = new UPlot(
        {
          width,
          height,
          scales: { x: { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
          series: [
            {},
            ...series.map((s) => ({
              label: s.label,
              stroke: s.stroke,
              width: 2,
              ...(s.stepped ? { paths: UPlot.paths.stepped!({ align: 1 }) } : {}),
            })),
          ],
          axes: [{}, { size: 40 }],
          legend: { show: true },
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
