import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ledger } from './ledger.js';

/**
 * test-artifacts/ is gitignored: the report of the last run, for the README's table and CI's
 * artifacts (global-setup.js empties it, global-teardown.js prints REPORT.md).
 */
const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test-artifacts/faults');
const JSON_PATH = path.join(DIR, 'report.json');
const MARKDOWN_PATH = path.join(DIR, 'REPORT.md');

export interface ScenarioRow extends Omit<Ledger, 'problems'> {
  scenario: string;
  /** From the fault's end to the last item due by then sent, in ms; null when the scenario has no fault to recover from. */
  recoveryMs: number | null;
  wallMs: number;
  requests: Record<string, number>;
  /** Extra observations of the scenario (its own assertions' numbers). */
  notes?: Record<string, unknown>;
}

async function readRows(): Promise<ScenarioRow[]> {
  try {
    return JSON.parse(await readFile(JSON_PATH, 'utf8')) as ScenarioRow[];
  } catch {
    return [];
  }
}

/** Adds (or replaces) a scenario's row in report.json and rewrites REPORT.md from all rows. */
export async function recordScenario(row: ScenarioRow): Promise<void> {
  const rows = (await readRows()).filter((r) => r.scenario !== row.scenario);
  rows.push(row);
  rows.sort((a, b) => a.scenario.localeCompare(b.scenario, 'en', { numeric: true }));
  await mkdir(DIR, { recursive: true });
  await writeFile(JSON_PATH, `${JSON.stringify(rows, null, 2)}\n`);
  await writeFile(MARKDOWN_PATH, markdownTable(rows));
}

const seconds = (ms: number | null) => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

export function markdownTable(rows: readonly ScenarioRow[]): string {
  const lines = [
    '| scenario | steps due | messages due | sent | suppressed | deferred | duplicated | lost | recovery | wall time |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) =>
      `| ${r.scenario} | ${r.stepsDue} | ${r.messagesDue} | ${r.sent} | ${r.suppressed} | ${r.deferred} | ${r.duplicated} | ${r.lost} | ${seconds(r.recoveryMs)} | ${seconds(r.wallMs)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
