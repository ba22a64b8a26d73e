// Small numeric helpers for the bench's report.

export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Percentiles by nearest rank over the first `count` values (the array is sorted in place). */
export function distribution(values: Float64Array | number[], count = values.length): Distribution {
  if (count === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = (
    values instanceof Float64Array ? values.subarray(0, count) : Float64Array.from(values.slice(0, count))
  ).sort();
  const at = (q: number) => sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!;
  let sum = 0;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  return { count, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[count - 1]!, mean: sum / count };
}

/** A growable Float64Array: latencies of a few hundred thousand heartbeats without boxed numbers. */
export class Samples {
  private data: Float64Array;
  count = 0;
  constructor(capacity = 1 << 16) {
    this.data = new Float64Array(capacity);
  }
  push(value: number): void {
    if (this.count === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.count++] = value;
  }
  summary(): Distribution {
    return distribution(this.data, this.count);
  }
}

export const round = (value: number, digits = 1): number =>
  Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
export const kib = (bytes: number): number => round(bytes / 1024, 1);
export const mib = (bytes: number): number => round(bytes / 1024 / 1024, 1);

/** Prints rows as an aligned text table; the first row is the header. */
export function table(rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((row) =>
    row.map((cell) =>
      cell === null || cell === undefined || (typeof cell === "number" && Number.isNaN(cell)) ? "–" : String(cell),
    ),
  );
  const widths = cells[0]!.map((_, col) => Math.max(...cells.map((row) => [...(row[col] ?? "")].length)));
  const line = (row: string[]) =>
    row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join("  ");
  return [line(cells[0]!), widths.map((w) => "─".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}
