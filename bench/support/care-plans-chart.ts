import { quantile } from './stats.js';

/**
 * bench/workspace-latency.svg: figure 1's latency over time, written by hand (no chart library
 * in the bench's dependencies, and an SVG diffs as text). One panel per load: every plan's
 * event → all-jobs-queued latency against its send time, on a shared logarithmic axis, with the
 * p50 and p99 of each second drawn over the plans.
 *
 * Tens of thousands of plans would make tens of thousands of SVG elements; instead the plans are
 * counted on a grid of CELL × CELL pixels and each occupied cell drawn once, darker where more
 * plans fell (three shades), as one path per shade: the file stays small and the picture is
 * the same at this size.
 */

export interface ChartPanel {
  title: string;
  /** per plan: its send time since the first send (ms), and its latency (ms) */
  sentOffsetMs: number[];
  latencyMs: number[];
  /** a horizontal line, e.g. the target */
  target?: { ms: number; label: string };
}

const WIDTH = 900;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 78, right: 24, top: 46, bottom: 56 };
const CELL = 2;
const HEADER = 44;
const LEGEND = 34;
const SHADES = [
  { min: 1, opacity: 0.25 },
  { min: 3, opacity: 0.5 },
  { min: 10, opacity: 0.9 },
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tickLabel = (v: number) => (v >= 1000 ? `${v / 1000} s` : v >= 1 ? `${v} ms` : `${v} ms`);

/** A step for about `n` ticks over `span`: 1, 2 or 5 times a power of ten. */
function niceStep(span: number, n: number): number {
  const raw = span / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

export function latencyChart(title: string, panels: ChartPanel[]): string {
  // Loops, not Math.min(...): a sustained run has more plans than a call may have arguments.
  let least = Infinity;
  let most = 0;
  for (const p of panels) for (const v of p.latencyMs) if (Number.isFinite(v)) [least, most] = [Math.min(least, v), Math.max(most, v)];
  // The axis: whole decades around the data (a latency under 0.1 ms is drawn at 0.1 ms: BullMQ's timestamps are whole ms).
  const floor = 0.1;
  const lo = 10 ** Math.floor(Math.log10(Math.max(floor, Math.min(least, 1))));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(most, ...panels.map((p) => p.target?.ms ?? 0), lo * 10)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const height = HEADER + panels.length * PANEL_HEIGHT + LEGEND;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="26" text-anchor="middle" font-size="15" font-weight="600">${esc(title)}</text>`,
  );
  panels.forEach((panel, k) => {
    const top = HEADER + k * PANEL_HEIGHT;
    const x0 = MARGIN.left;
    const y0 = top + MARGIN.top;
    const spanMs = panel.sentOffsetMs.reduce((a, b) => Math.max(a, b), 1000);
    const spanS = spanMs / 1000;
    const step = niceStep(spanS, 10);
    const xMax = Math.ceil(spanS / step) * step;
    const xOf = (ms: number) => x0 + (ms / 1000 / xMax) * plotW;
    const yOf = (ms: number) => y0 + plotH - ((Math.log10(Math.max(ms, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;
    out.push(`<g>`);
    out.push(`<text x="${x0}" y="${top + 30}" font-size="13" font-weight="600">${esc(panel.title)}</text>`);
    out.push(`<rect x="${x0}" y="${y0}" width="${plotW}" height="${plotH}" fill="#fafafa" stroke="#999"/>`);
    // y: decades labelled, 2 and 5 as fainter lines
    for (let d = lo; d <= hi * 1.0001; d *= 10) {
      for (const m of [1, 2, 5]) {
        const v = d * m;
        if (v > hi * 1.0001) continue;
        const y = yOf(v).toFixed(1);
        out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`);
        if (m === 1 || hi / lo <= 1000) out.push(`<text x="${x0 - 6}" y="${y}" dy="4" text-anchor="end" fill="${m === 1 ? '#333' : '#888'}">${tickLabel(Number(v.toPrecision(2)))}</text>`);
      }
    }
    for (let s = 0; s <= xMax + 1e-9; s += step) {
      const x = xOf(s * 1000).toFixed(1);
      out.push(`<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + plotH}" stroke="#eee"/>`);
      out.push(`<text x="${x}" y="${y0 + plotH + 16}" text-anchor="middle" fill="#333">${Number(s.toPrecision(3))}</text>`);
    }
    out.push(`<text x="${x0 + plotW / 2}" y="${y0 + plotH + 36}" text-anchor="middle">time since the run's first event (s), by send time</text>`);
    out.push(
      `<text transform="translate(${x0 - 56} ${y0 + plotH / 2}) rotate(-90)" text-anchor="middle">event → all jobs queued (ms, log scale)</text>`,
    );
    // the plans, counted per cell
    const cells = new Map<number, number>();
    const cols = Math.ceil(plotW / CELL);
    panel.sentOffsetMs.forEach((t, i) => {
      const l = panel.latencyMs[i]!;
      if (!Number.isFinite(l)) return;
      const cx = Math.min(cols - 1, Math.floor((xOf(t) - x0) / CELL));
      const cy = Math.floor((yOf(Math.min(l, hi)) - y0) / CELL);
      const key = cy * cols + cx;
      cells.set(key, (cells.get(key) ?? 0) + 1);
    });
    SHADES.forEach((shade, s) => {
      const next = SHADES[s + 1]?.min ?? Infinity;
      const d: string[] = [];
      for (const [key, n] of cells) {
        if (n < shade.min || n >= next) continue;
        d.push(`M${x0 + (key % cols) * CELL} ${y0 + Math.floor(key / cols) * CELL + CELL / 2}h${CELL}`);
      }
      if (d.length) out.push(`<path d="${d.join('')}" stroke="#3b6fb6" stroke-opacity="${shade.opacity}" stroke-width="${CELL}"/>`);
    });
    // p50 and p99 of each second (by send time)
    const seconds: number[][] = [];
    panel.sentOffsetMs.forEach((t, i) => (seconds[Math.floor(t / 1000)] ??= []).push(panel.latencyMs[i]!));
    for (const [q, color, dash] of [
      [0.5, '#1a1a1a', ''],
      [0.99, '#d9480f', ''],
    ] as const) {
      const pts: string[] = [];
      seconds.forEach((values, s) => {
        if (!values?.length) return;
        pts.push(`${xOf(s * 1000 + 500).toFixed(1)},${yOf(quantile(values, q)).toFixed(1)}`);
      });
      if (pts.length) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="1.8"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    }
    if (panel.target) {
      const y = yOf(panel.target.ms).toFixed(1);
      out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" stroke="#c92a2a" stroke-dasharray="6 4" stroke-width="1.2"/>`);
      out.push(`<text x="${x0 + plotW - 6}" y="${y}" dy="-5" text-anchor="end" fill="#c92a2a">${esc(panel.target.label)}</text>`);
    }
    out.push(`</g>`);
  });
  // legend
  const ly = HEADER + panels.length * PANEL_HEIGHT + 14;
  const lx = MARGIN.left;
  out.push(
    `<g font-size="12">`,
    `<rect x="${lx}" y="${ly - 6}" width="10" height="10" fill="#3b6fb6" fill-opacity="0.5"/>`,
    `<text x="${lx + 16}" y="${ly + 3}">each plan (darker: more plans in the same ${CELL}×${CELL} px)</text>`,
    `<line x1="${lx + 330}" x2="${lx + 356}" y1="${ly - 1}" y2="${ly - 1}" stroke="#1a1a1a" stroke-width="1.8"/>`,
    `<text x="${lx + 362}" y="${ly + 3}">p50 of each second</text>`,
    `<line x1="${lx + 490}" x2="${lx + 516}" y1="${ly - 1}" y2="${ly - 1}" stroke="#d9480f" stroke-width="1.8"/>`,
    `<text x="${lx + 522}" y="${ly + 3}">p99 of each second</text>`,
    `</g>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
