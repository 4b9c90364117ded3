/**
 * bench/timing-lateness.svg: figure 2's lateness distribution, written by hand (no chart library
 * in the bench's dependencies, and an SVG diffs as text). Two panels over the same logarithmic
 * lateness axis: the share of steps that arrived at the provider within x (CDF), and the share
 * later than x (1 − CDF, logarithmic) where the tail — p99, p99.9, max — can be read.
 *
 * Lateness is kept as a histogram with logarithmic bins (so a run's 100,000 values are 142
 * counts in the saved measurements, and runs pool by adding counts): bin 0 holds everything
 * under 1 ms (a call on the due millisecond, or before it), bin i (1…140) [10^((i−1)/20),
 * 10^(i/20)) ms, the last bin 10^7 ms (2.8 h) and more.
 */

export const BINS_PER_DECADE = 20;
const DECADES = 7;
export const BIN_COUNT = DECADES * BINS_PER_DECADE + 2;

export function binOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(BIN_COUNT - 1, 1 + Math.floor(Math.log10(ms) * BINS_PER_DECADE));
}

/** Upper edge of a bin in ms (bin 0: 1 ms). */
export const binTop = (bin: number) => 10 ** (bin / BINS_PER_DECADE);

export function histogram(values: number[]): number[] {
  const counts = new Array<number>(BIN_COUNT).fill(0);
  for (const v of values) counts[binOf(v)]!++;
  return counts;
}

export function addHistograms(histograms: number[][]): number[] {
  const out = new Array<number>(BIN_COUNT).fill(0);
  for (const h of histograms) h.forEach((n, i) => (out[i]! += n));
  return out;
}

export interface Curve {
  label: string;
  color: string;
  dash?: string;
  histogram: number[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 330;
const MARGIN = { left: 78, right: 24, top: 40, bottom: 56 };
const HEADER = 44;
const LEGEND_ROW = 18;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const msLabel = (v: number) => (v >= 60_000 ? `${Number((v / 60_000).toPrecision(3))} min` : v >= 1000 ? `${v / 1000} s` : `${v} ms`);

export function latenessChart(title: string, curves: Curve[], target?: { ms: number; label: string }): string {
  const drawn = curves.filter((c) => c.histogram.some((n) => n > 0));
  // x: whole decades from 1 ms to the decade holding the latest bin any curve uses (and the target).
  let lastBin = 1;
  for (const c of drawn) c.histogram.forEach((n, i) => n > 0 && (lastBin = Math.max(lastBin, i)));
  const hi = 10 ** Math.max(1, Math.ceil(Math.log10(Math.max(binTop(lastBin), (target?.ms ?? 0) * 1.5))));
  const lo = 1;
  const smallest = Math.min(...drawn.map((c) => 1 / Math.max(1, c.histogram.reduce((a, b) => a + b, 0))), 1e-3);
  const tailLo = 10 ** Math.floor(Math.log10(smallest));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const legendH = LEGEND_ROW * drawn.length + 16;
  const height = HEADER + 2 * PANEL_HEIGHT + legendH;
  const xOf = (ms: number) => MARGIN.left + ((Math.log10(Math.max(lo, Math.min(ms, hi))) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
  ];

  const panel = (k: number, heading: string, yLabel: string, yOf: (share: number) => number, yTicks: { v: number; label: string }[], value: (cumulative: number, total: number) => number) => {
    const top = HEADER + k * PANEL_HEIGHT;
    const x0 = MARGIN.left;
    const y0 = top + MARGIN.top;
    out.push('<g>');
    out.push(`<text x="${x0}" y="${top + 26}" font-size="13" font-weight="600">${esc(heading)}</text>`);
    out.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#999"/>`);
    for (const t of yTicks) {
      const y = yOf(t.v).toFixed(1);
      out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
      out.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end" fill="#333">${t.label}</text>`);
    }
    for (let d = lo; d <= hi * 1.0001; d *= 10) {
      for (const m of [1, 2, 5]) {
        const v = d * m;
        if (v > hi * 1.0001) continue;
        const x = xOf(v).toFixed(1);
        out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + plotH}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`);
        // The last label ends at the plot's edge instead of running past it.
        const anchor = Number(x) > x0 + plotW - 20 ? 'end' : 'middle';
        if (m === 1 || hi / lo <= 1e4) out.push(`<text x="${x}" y="${y0 + plotH + 16}" text-anchor="${anchor}" fill="${m === 1 ? '#333' : '#888'}">${msLabel(Number(v.toPrecision(2)))}</text>`);
      }
    }
    out.push(`<text x="${x0 + plotW / 2}" y="${y0 + plotH + 38}" text-anchor="middle">lateness: provider call at the Twilio fake − the step's due time (log scale; under 1 ms drawn at 1 ms)</text>`);
    out.push(`<text transform="translate(${x0 - 58} ${y0 + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
    if (target) {
      const x = xOf(target.ms).toFixed(1);
      out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + plotH}" stroke="#c92a2a" stroke-dasharray="6 4" stroke-width="1.2"/>`);
      // Top of the CDF, bottom of the tail panel: where the curves are not.
      out.push(`<text x="${x}" y="${k === 0 ? y0 + 14 : y0 + plotH - 8}" dx="-5" text-anchor="end" fill="#c92a2a">${esc(target.label)}</text>`);
    }
    for (const c of drawn) {
      const total = c.histogram.reduce((a, b) => a + b, 0);
      let cumulative = 0;
      // A step line: flat within a bin, rising at its upper edge.
      const pts: string[] = [`${xOf(lo).toFixed(1)},${yOf(value(c.histogram[0]!, total)).toFixed(1)}`];
      cumulative = c.histogram[0]!;
      for (let i = 1; i < c.histogram.length; i++) {
        if (c.histogram[i] === 0) continue;
        const x = xOf(binTop(i - 1)).toFixed(1);
        pts.push(`${x},${yOf(value(cumulative, total)).toFixed(1)}`);
        cumulative += c.histogram[i]!;
        pts.push(`${x},${yOf(value(cumulative, total)).toFixed(1)}`);
        if (cumulative >= total) {
          // The last value's bin: the curve ends at its upper edge.
          pts.push(`${xOf(binTop(i)).toFixed(1)},${yOf(value(cumulative, total)).toFixed(1)}`);
          break;
        }
      }
      out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${c.color}" stroke-width="1.8"${c.dash ? ` stroke-dasharray="${c.dash}"` : ''}/>`);
    }
    out.push('</g>');
  };

  // Panel 1: CDF, linear.
  {
    const y0 = HEADER + MARGIN.top;
    const yOf = (share: number) => y0 + plotH - share * plotH;
    panel(0, 'Share of steps at the provider within x (CDF)', 'steps at the provider (%)', yOf, [0, 0.25, 0.5, 0.75, 0.9, 1].map((v) => ({ v, label: `${Math.round(v * 100)} %` })), (c, t) => c / Math.max(1, t));
  }
  // Panel 2: the tail, 1 − CDF on a log scale.
  {
    const y0 = HEADER + PANEL_HEIGHT + MARGIN.top;
    const top = 1;
    const yOf = (share: number) => y0 + ((Math.log10(top) - Math.log10(Math.max(tailLo, share))) / (Math.log10(top) - Math.log10(tailLo))) * plotH;
    const ticks: { v: number; label: string }[] = [];
    for (let v = 1; v >= tailLo * 0.999; v /= 10) ticks.push({ v, label: v >= 0.01 ? `${v * 100} %` : `${Number((v * 100).toPrecision(1))} %` });
    panel(1, 'Share of steps later than x (1 − CDF, log scale): the tail — p99 where a curve crosses 1 %, p99.9 at 0.1 %', 'steps later than x', yOf, ticks, (c, t) => Math.max(tailLo, 1 - c / Math.max(1, t)));
  }
  // Legend, one line per curve.
  const ly = HEADER + 2 * PANEL_HEIGHT + 6;
  out.push('<g font-size="12">');
  drawn.forEach((c, i) => {
    const x = MARGIN.left;
    const y = ly + i * LEGEND_ROW;
    out.push(`<line x1="${x}" x2="${x + 28}" y1="${y}" y2="${y}" stroke="${c.color}" stroke-width="2"${c.dash ? ` stroke-dasharray="${c.dash}"` : ''}/>`);
    out.push(`<text x="${x + 34}" y="${y + 4}">${esc(c.label)}</text>`);
  });
  out.push('</g>', '</svg>');
  return out.join('\n') + '\n';
}
