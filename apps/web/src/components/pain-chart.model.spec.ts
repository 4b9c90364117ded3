import { describe, expect, it } from '@jest/globals';
import {
  buildPainChart,
  calendarDaysBetween,
  dayDomain,
  dayStep,
  DEFAULT_SIZE,
  describeScores,
  linearScale,
  linePath,
  ticks,
  type PainChartProcedure,
} from './pain-chart.model';

const ZONE = 'America/New_York';

function procedure(id: string, procedureDate: string, scores: [day: number, score: number][], label = `Procedure ${id}`): PainChartProcedure {
  return {
    id,
    label,
    procedureDate,
    timezone: ZONE,
    scores: scores.map(([day, score]) => ({ day, score, answeredAt: new Date(Date.parse(procedureDate) + day * 86_400_000).toISOString() })),
  };
}

describe('linearScale', () => {
  it('maps the domain onto the range, inverted ranges included', () => {
    const y = linearScale([0, 10], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(10)).toBe(0);
    expect(y(5)).toBe(100);
  });

  it('puts everything in the middle of a zero-width domain', () => {
    expect(linearScale([3, 3], [0, 100])(3)).toBe(50);
  });
});

describe('day ticks', () => {
  it('counts in days for a short span and in weeks for the six-week protocol', () => {
    expect(dayStep(10)).toBe(1);
    expect(dayStep(14)).toBe(2);
    expect(dayStep(42)).toBe(7);
    expect(dayStep(120)).toBe(14);
  });

  it('starts at day 0 and ends on a whole step past the last day', () => {
    expect(dayDomain([1, 3, 14, 28, 42])).toEqual({ domain: [0, 42], step: 7 });
    expect(dayDomain([1, 3, 14, 28, 43])).toEqual({ domain: [0, 49], step: 7 });
    expect(dayDomain([])).toEqual({ domain: [0, 14], step: 2 });
  });

  it('reaches back to a day before the procedure', () => {
    expect(dayDomain([-3, 10]).domain[0]).toBeLessThanOrEqual(-3);
  });

  it('lists the tick values of a domain', () => {
    expect(ticks([0, 42], 7)).toEqual([0, 7, 14, 21, 28, 35, 42]);
    expect(ticks([0, 10], 2)).toEqual([0, 2, 4, 6, 8, 10]);
  });
});

describe('linePath', () => {
  it('moves to the first point and draws lines to the others', () => {
    expect(linePath([{ x: 1, y: 2 }, { x: 3.04, y: 4.56 }])).toBe('M1 2 L3 4.6');
    expect(linePath([])).toBe('');
  });
});

describe('calendarDaysBetween', () => {
  it('counts calendar days in the zone, not 24-hour periods', () => {
    // 23:00 on the 10th to 01:00 on the 11th, New York (EDT): one calendar day, two hours.
    expect(calendarDaysBetween('2026-03-11T03:00:00Z', '2026-03-11T05:00:00Z', ZONE)).toBe(1);
  });

  it('is not shifted by a DST change in between', () => {
    expect(calendarDaysBetween('2026-03-01T15:00:00Z', '2026-03-15T14:00:00Z', ZONE)).toBe(14);
  });
});

describe('describeScores', () => {
  it('reads every score of one procedure with its day', () => {
    expect(describeScores([{ label: 'x', scores: [{ day: 7, score: 7 }, { day: 14, score: 5 }] }])).toBe(
      'Pain scores over days since the procedure: 7 at day 7, 5 at day 14',
    );
  });

  it('says so when nothing was reported', () => {
    expect(describeScores([{ label: 'x', scores: [] }])).toBe('Pain scores: none reported yet');
  });

  it('names each procedure when there are several', () => {
    const text = describeScores([
      { label: 'first', scores: [{ day: 1, score: 6 }] },
      { label: 'second', scores: [{ day: 3, score: 4 }] },
    ]);
    expect(text).toBe('Pain scores over days since each procedure: first: 6 at day 1; second: 4 at day 3');
  });
});

describe('buildPainChart', () => {
  const one = procedure('a', '2026-01-12T15:00:00Z', [
    [1, 6],
    [3, 5],
    [14, 4],
    [28, 3],
    [42, 2],
  ]);

  it('puts each score at its day and height, inside the plot', () => {
    const chart = buildPainChart([one]);
    const { plot } = chart;
    expect(chart.xDomain).toEqual([0, 42]);
    expect(chart.series).toHaveLength(1);
    const points = chart.series[0]!.points;
    expect(points.map((p) => p.score)).toEqual([6, 5, 4, 3, 2]);
    expect(points.map((p) => p.day)).toEqual([1, 3, 14, 28, 42]);
    // Day 42 is the right edge; pain 0 the bottom, pain 10 the top.
    expect(points[4]!.x).toBeCloseTo(plot.right);
    expect(points[0]!.y).toBeCloseTo(plot.bottom - (6 / 10) * (plot.bottom - plot.top));
    for (const p of points) {
      expect(p.x).toBeGreaterThanOrEqual(plot.left);
      expect(p.x).toBeLessThanOrEqual(plot.right);
      expect(p.y).toBeGreaterThanOrEqual(plot.top);
      expect(p.y).toBeLessThanOrEqual(plot.bottom);
    }
    expect(points[0]!.title).toBe('Pain 6 at day 1');
    expect(chart.pointCount).toBe(5);
  });

  it('joins the points with one line in day order', () => {
    const shuffled = { ...one, scores: [...one.scores].reverse() };
    const chart = buildPainChart([shuffled]);
    const series = chart.series[0]!;
    expect(series.points.map((p) => p.day)).toEqual([1, 3, 14, 28, 42]);
    expect(series.path.startsWith(`M${Math.round(series.points[0]!.x * 10) / 10} `)).toBe(true);
    expect(series.path.match(/L/g)).toHaveLength(4);
  });

  it('has axes ticks: days on x, pain 0–10 on y', () => {
    const chart = buildPainChart([one]);
    expect(chart.xTicks.map((t) => t.label)).toEqual(['0', '7', '14', '21', '28', '35', '42']);
    expect(chart.yTicks.map((t) => t.value)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(chart.yTicks[0]!.at).toBe(chart.plot.bottom);
    expect(chart.yTicks[5]!.at).toBe(chart.plot.top);
    expect(chart.xTicks[0]!.at).toBe(chart.plot.left);
  });

  it('marks the procedure at day 0', () => {
    const chart = buildPainChart([one]);
    expect(chart.markers).toEqual([expect.objectContaining({ id: 'a', short: 'Procedure', axisDay: 0, x: chart.plot.left })]);
  });

  it('shows a second procedure where it falls, with its scores from its own day 0', () => {
    const second = procedure('b', '2026-03-02T15:00:00Z', [
      [1, 5],
      [14, 3],
    ]);
    // Newest first, as the API answers.
    const chart = buildPainChart([second, one]);
    expect(chart.series.map((s) => s.id)).toEqual(['a', 'b']);
    expect(chart.markers.map((m) => [m.short, m.axisDay])).toEqual([
      ['Procedure 1', 0],
      ['Procedure 2', 49],
    ]);
    const b = chart.series[1]!;
    expect(b.offsetDays).toBe(49);
    expect(b.points.map((p) => [p.day, p.axisDay])).toEqual([
      [1, 50],
      [14, 63],
    ]);
    expect(chart.xDomain[1]).toBeGreaterThanOrEqual(63);
    expect(b.points[0]!.x).toBeGreaterThan(chart.markers[1]!.x);
    expect(chart.summary).toBe(
      'Pain scores over days since each procedure: Procedure a: 6 at day 1, 5 at day 3, 4 at day 14, 3 at day 28, 2 at day 42; Procedure b: 5 at day 1, 3 at day 14',
    );
  });

  it('keeps a marker label near the right edge inside the svg', () => {
    const late = procedure('b', '2026-02-23T15:00:00Z', []);
    const chart = buildPainChart([one, late]);
    expect(chart.markers[1]!.anchor).toBe('end');
    expect(chart.markers[0]!.anchor).toBe('start');
  });

  it('draws a single score as a point with no line, and nothing at all as an empty chart', () => {
    const single = buildPainChart([procedure('a', '2026-01-12T15:00:00Z', [[7, 7]])]);
    expect(single.series[0]!.points).toHaveLength(1);
    expect(single.series[0]!.path).toBe('');
    expect(single.summary).toBe('Pain scores over days since the procedure: 7 at day 7');

    const none = buildPainChart([]);
    expect(none.series).toEqual([]);
    expect(none.pointCount).toBe(0);
    expect(none.summary).toBe('Pain scores: none reported yet');
  });

  it('keeps an out-of-range score on the chart but tells its true value', () => {
    const chart = buildPainChart([procedure('a', '2026-01-12T15:00:00Z', [[1, 12]])]);
    const point = chart.series[0]!.points[0]!;
    expect(point.y).toBe(chart.plot.top);
    expect(point.score).toBe(12);
  });

  it('fits the given size', () => {
    const chart = buildPainChart([one], { ...DEFAULT_SIZE, width: 400 });
    expect(chart.plot.right).toBe(400 - DEFAULT_SIZE.margin.right);
  });
});
