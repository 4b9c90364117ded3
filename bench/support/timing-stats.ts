import { histogram } from './timing-chart.js';

/** A distribution of lateness (ms) as the section reports it. */
export interface Lateness {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Nearest-rank quantiles of raw values (sorted once; stats.ts's quantile sorts per call). */
export function lateness(values: number[]): Lateness {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const q = (p: number) => (n === 0 ? NaN : sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  return { n, min: n ? sorted[0]! : NaN, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: n ? sorted[n - 1]! : NaN, mean: n ? sum / n : NaN };
}

/** The lateness of arrivals and its histogram, for the summary and the chart. */
export function latenessWithHistogram(values: number[]): { summary: Lateness; histogram: number[] } {
  return { summary: lateness(values), histogram: histogram(values) };
}

/** The most arrivals in any one second (from the first arrival on), and how many seconds had any. */
export function peakPerSecond(arrivalsMs: number[]): number {
  if (arrivalsMs.length === 0) return 0;
  let first = Infinity;
  for (const t of arrivalsMs) first = Math.min(first, t);
  const counts = new Map<number, number>();
  for (const t of arrivalsMs) {
    const k = Math.floor((t - first) / 1000);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return Math.max(...counts.values());
}
