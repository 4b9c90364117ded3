import { useMemo } from 'react';
import { buildPainChart, PAIN_MAX, type PainChartProcedure } from './pain-chart.model';

/**
 * Pain scores against days since the procedure, drawn as plain SVG (no chart library: the page
 * stays small). The svg is one image for assistive technology, named by a summary of every
 * score; the table under it carries the same numbers for those who read tables rather than
 * pictures. Each procedure has its own line, told apart by dash as well as colour.
 */

/** Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics). */
const COLOURS = ['#1d4ed8', '#b45309', '#047857', '#7c3aed'];
const DASHES = [undefined, '6 4', '2 3', '10 3 2 3'];

export function PainChart({ procedures, formatAnswered }: { procedures: PainChartProcedure[]; formatAnswered: (iso: string) => string }) {
  const chart = useMemo(() => buildPainChart(procedures), [procedures]);
  const { size, plot } = chart;
  const many = chart.series.length > 1;
  return (
    <figure className="chart" style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${size.width} ${size.height}`} role="img" aria-label={chart.summary} style={{ maxWidth: size.width * 1.25 }}>
        {/* Grid lines, light, outside .axis (whose stroke the stylesheet sets). */}
        <g>
          {chart.yTicks.map((t) => (
            <line key={`g${t.value}`} x1={plot.left} x2={plot.right} y1={t.at} y2={t.at} style={{ stroke: '#e2e8f0' }} />
          ))}
        </g>
        {/* y axis: pain 0–10. */}
        <g className="axis">
          {chart.yTicks.map((t) => (
            <g key={`y${t.value}`}>
              <line x1={plot.left - 5} x2={plot.left} y1={t.at} y2={t.at} />
              <text x={plot.left - 8} y={t.at} dy="0.32em" textAnchor="end">
                {t.label}
              </text>
            </g>
          ))}
          <line x1={plot.left} x2={plot.left} y1={plot.top} y2={plot.bottom} />
          <text transform={`translate(12 ${(plot.top + plot.bottom) / 2}) rotate(-90)`} textAnchor="middle">
            Pain (0–{PAIN_MAX})
          </text>
        </g>
        {/* x axis: days since the (first) procedure. */}
        <g className="axis">
          <line x1={plot.left} x2={plot.right} y1={plot.bottom} y2={plot.bottom} />
          {chart.xTicks.map((t) => (
            <g key={`x${t.value}`}>
              <line x1={t.at} x2={t.at} y1={plot.bottom} y2={plot.bottom + 5} />
              <text x={t.at} y={plot.bottom + 17} textAnchor="middle">
                {t.label}
              </text>
            </g>
          ))}
          <text x={(plot.left + plot.right) / 2} y={size.height - 6} textAnchor="middle">
            {many ? 'Days since the first procedure' : 'Days since the procedure'}
          </text>
        </g>
        {/* Each procedure: a marker at its day 0. */}
        {chart.markers.map((m) => (
          <g key={`m${m.id}`}>
            <line x1={m.x} x2={m.x} y1={plot.top - 10} y2={plot.bottom} stroke="#4a5568" strokeDasharray="4 3" strokeWidth={1.5} />
            <text x={m.anchor === 'end' ? m.x - 4 : m.x + 4} y={plot.top - 14} textAnchor={m.anchor} fontWeight={600}>
              {m.short}
            </text>
          </g>
        ))}
        {chart.series.map((s) => {
          const colour = COLOURS[s.index % COLOURS.length];
          return (
            <g key={`s${s.id}`}>
              {s.path ? <path d={s.path} fill="none" stroke={colour} strokeWidth={2.5} strokeDasharray={DASHES[s.index % DASHES.length]} /> : null}
              {s.points.map((p, i) => (
                <circle key={i} cx={p.x} cy={p.y} r={4.5} fill="#fff" stroke={colour} strokeWidth={2.5} data-score={p.score} data-day={p.day}>
                  <title>
                    {p.title}, {formatAnswered(p.answeredAt)}
                  </title>
                </circle>
              ))}
            </g>
          );
        })}
      </svg>
      {many ? (
        <figcaption>
          <ul className="muted" style={{ listStyle: 'none', padding: 0, margin: '0.25rem 0', display: 'flex', gap: '1rem', flexWrap: 'wrap' }}>
            {chart.series.map((s) => (
              <li key={s.id}>
                <svg width="28" height="10" aria-hidden="true" focusable="false" style={{ width: 28, height: 10, display: 'inline-block' }}>
                  <line x1="0" x2="28" y1="5" y2="5" stroke={COLOURS[s.index % COLOURS.length]} strokeWidth={2.5} strokeDasharray={DASHES[s.index % DASHES.length]} />
                </svg>{' '}
                Procedure {s.index + 1}: {s.label}
              </li>
            ))}
          </ul>
        </figcaption>
      ) : null}
      <PainTable series={chart.series} formatAnswered={formatAnswered} />
    </figure>
  );
}

/** The chart's numbers as tables: one per procedure, days across, compact. */
function PainTable({ series, formatAnswered }: { series: ReturnType<typeof buildPainChart>['series']; formatAnswered: (iso: string) => string }) {
  const shown = series.filter((s) => s.points.length > 0);
  if (shown.length === 0) return null;
  return (
    <div style={{ fontSize: '0.85rem' }}>
      {shown.map((s) => (
        <div className="table-wrap" key={s.id} style={{ marginTop: '0.5rem', marginBottom: '0.25rem' }}>
          <table>
            <caption style={{ textAlign: 'left', padding: '0.25rem 0.6rem', fontWeight: 600 }}>
              Pain scores, {series.length > 1 ? `procedure ${s.index + 1}: ` : ''}
              {s.label}
            </caption>
            <tbody>
              <tr>
                <th scope="row">Day</th>
                {s.points.map((p, i) => (
                  <th scope="col" key={i} title={formatAnswered(p.answeredAt)}>
                    {p.day}
                  </th>
                ))}
              </tr>
              <tr>
                <th scope="row">Pain</th>
                {s.points.map((p, i) => (
                  <td key={i}>{p.score}</td>
                ))}
              </tr>
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}
