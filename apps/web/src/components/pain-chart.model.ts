import { dateTimeFormat } from '../format';
/**
 * The pain chart's geometry, as plain functions (no React, no DOM) so that it is unit tested on
 * its own: scales, ticks, the line of each procedure's scores and the marker of each procedure.
 *
 * The x axis counts days since the first procedure shown; each later procedure is marked where it
 * falls on that axis and its scores are drawn from its own day 0 there, so a second injection and
 * the pain after it read in one picture. Days are calendar days in the patient's zone, as the
 * outcomes API counts them (docs/outcomes-and-fhir.md): the procedure's local date is day 0.
 */

export interface PainChartScore {
  /** Days since its own procedure (the API's `day`). */
  day: number;
  score: number;
  answeredAt: string;
}

export interface PainChartProcedure {
  id: string;
  /** What the legend, the marker and the summary call it, e.g. "Procedure 12 Jan 2026, left knee". */
  label: string;
  /** When the procedure was completed (ISO). */
  procedureDate: string;
  /** The patient's zone the days are counted in. */
  timezone: string;
  scores: PainChartScore[];
}

export interface ChartSize {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export const DEFAULT_SIZE: ChartSize = { width: 640, height: 280, margin: { top: 28, right: 20, bottom: 44, left: 44 } };

export const PAIN_MIN = 0;
export const PAIN_MAX = 10;

export interface Tick {
  value: number;
  /** Position in svg units along its axis. */
  at: number;
  label: string;
}

export interface ChartPoint {
  x: number;
  y: number;
  /** Days since this point's own procedure. */
  day: number;
  /** Days on the chart's axis (since the first procedure shown). */
  axisDay: number;
  score: number;
  answeredAt: string;
  /** The point's tooltip: "Pain 6 at day 7". */
  title: string;
}

export interface ChartSeries {
  id: string;
  label: string;
  /** Where its day 0 falls on the chart's axis. */
  offsetDays: number;
  /** Index in the order drawn (oldest procedure first): picks its colour and dash. */
  index: number;
  points: ChartPoint[];
  /** The svg path joining its points in time order ('' with no points). */
  path: string;
}

export interface ChartMarker {
  id: string;
  /** The procedure's full label (the legend's). */
  label: string;
  /** What the marker itself says: "Procedure", or "Procedure 2" when there are several. */
  short: string;
  axisDay: number;
  x: number;
  /** Labels near the right edge run leftwards so that they stay inside the svg. */
  anchor: 'start' | 'end';
}

export interface PainChartModel {
  size: ChartSize;
  /** The plotting area, in svg units. */
  plot: { left: number; right: number; top: number; bottom: number };
  xDomain: [number, number];
  xTicks: Tick[];
  yTicks: Tick[];
  series: ChartSeries[];
  markers: ChartMarker[];
  /** The svg's accessible name: every score in words. */
  summary: string;
  /** How many scores are drawn. */
  pointCount: number;
}

/** A linear map from [d0, d1] to [r0, r1]; a zero-width domain maps to the range's middle. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/**
 * The step between day ticks: days for a short span, then weeks, so that the labels read as the
 * protocol does (day 7, 14, 28, 42) and never crowd (at most about ten ticks).
 */
export function dayStep(span: number): number {
  for (const step of [1, 2, 7, 14, 28, 56, 91, 182, 364]) if (span / step <= 10) return step;
  return Math.ceil(span / 10 / 364) * 364;
}

/** The x domain: from day 0 (or the earliest day shown) to past the last day, on whole steps. */
export function dayDomain(days: readonly number[], minSpan = 14): { domain: [number, number]; step: number } {
  const low = Math.min(0, ...days);
  const high = Math.max(low + minSpan, ...days);
  const step = dayStep(high - low);
  const start = Math.floor(low / step) * step;
  let end = Math.ceil(high / step) * step;
  if (end === start) end = start + step;
  return { domain: [start, end], step };
}

export function ticks(domain: readonly [number, number], step: number): number[] {
  const values: number[] = [];
  for (let v = domain[0]; v <= domain[1] + 1e-9; v += step) values.push(Math.round(v * 1000) / 1000);
  return values;
}

/** "M x y L x y …", rounded to a tenth of a unit (small, stable output). */
export function linePath(points: readonly { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(p.x)} ${round(p.y)}`).join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The calendar date 'YYYY-MM-DD' of an instant in a zone. */
export function localDate(iso: string, timeZone: string): string {
  const parts = dateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Whole calendar days from one instant's local date to another's, both in `timeZone`. */
export function calendarDaysBetween(fromIso: string, toIso: string, timeZone: string): number {
  const toUtcDay = (date: string) => {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((toUtcDay(localDate(toIso, timeZone)) - toUtcDay(localDate(fromIso, timeZone))) / 86_400_000);
}

const dayWord = (day: number) => `day ${day}`;

/**
 * "Pain scores over days since the procedure: 7 at day 7, 5 at day 14" (one procedure), or each
 * procedure's scores by its own days when there are several.
 */
export function describeScores(procedures: readonly { label: string; scores: readonly { day: number; score: number }[] }[]): string {
  const withScores = procedures.filter((p) => p.scores.length > 0);
  if (withScores.length === 0) return 'Pain scores: none reported yet';
  const list = (scores: readonly { day: number; score: number }[]) => scores.map((s) => `${s.score} at ${dayWord(s.day)}`).join(', ');
  if (procedures.length === 1) return `Pain scores over days since the procedure: ${list(withScores[0]!.scores)}`;
  return `Pain scores over days since each procedure: ${withScores.map((p) => `${p.label}: ${list(p.scores)}`).join('; ')}`;
}

/** Everything the chart component draws, for procedures given in any order. */
export function buildPainChart(procedures: readonly PainChartProcedure[], size: ChartSize = DEFAULT_SIZE): PainChartModel {
  // Oldest procedure first: its day 0 is the axis's day 0, and lines are drawn in that order.
  const ordered = [...procedures].sort((a, b) => Date.parse(a.procedureDate) - Date.parse(b.procedureDate));
  const first = ordered[0];
  const offsets = ordered.map((p) => (first ? calendarDaysBetween(first.procedureDate, p.procedureDate, first.timezone) : 0));
  const axisDays = ordered.flatMap((p, i) => [offsets[i]!, ...p.scores.map((s) => offsets[i]! + s.day)]);
  const { domain: xDomain, step } = dayDomain(axisDays);

  const plot = {
    left: size.margin.left,
    right: size.width - size.margin.right,
    top: size.margin.top,
    bottom: size.height - size.margin.bottom,
  };
  const x = linearScale(xDomain, [plot.left, plot.right]);
  const y = linearScale([PAIN_MIN, PAIN_MAX], [plot.bottom, plot.top]);

  const series: ChartSeries[] = ordered.map((p, index) => {
    const offsetDays = offsets[index]!;
    const points = [...p.scores]
      .sort((a, b) => a.day - b.day || Date.parse(a.answeredAt) - Date.parse(b.answeredAt))
      .map((s): ChartPoint => {
        const score = Math.min(PAIN_MAX, Math.max(PAIN_MIN, s.score));
        return {
          x: x(offsetDays + s.day),
          y: y(score),
          day: s.day,
          axisDay: offsetDays + s.day,
          score: s.score,
          answeredAt: s.answeredAt,
          title: `Pain ${s.score} at ${dayWord(s.day)}${ordered.length > 1 ? ` (${p.label})` : ''}`,
        };
      });
    return { id: p.id, label: p.label, offsetDays, index, points, path: points.length > 1 ? linePath(points) : '' };
  });

  return {
    size,
    plot,
    xDomain,
    xTicks: ticks(xDomain, step).map((value) => ({ value, at: x(value), label: String(value) })),
    yTicks: ticks([PAIN_MIN, PAIN_MAX], 2).map((value) => ({ value, at: y(value), label: String(value) })),
    series,
    markers: ordered.map((p, i) => {
      const at = x(offsets[i]!);
      return {
        id: p.id,
        label: p.label,
        short: ordered.length > 1 ? `Procedure ${i + 1}` : 'Procedure',
        axisDay: offsets[i]!,
        x: at,
        anchor: at > plot.right - 90 ? 'end' : 'start',
      };
    }),
    summary: describeScores(series.map((s) => ({ label: s.label, scores: s.points }))),
    pointCount: series.reduce((n, s) => n + s.points.length, 0),
  };
}
