import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeSection } from './results-file.js';

/**
 * What every bench does around its measurements: one cleanup, also on Ctrl-C; the measurements
 * kept as JSON and its section of the results file written from them; a failure reported with
 * the services' last output; and `BENCH_RENDER_FROM=<json>` to render the section again from a
 * run's saved measurements without starting anything.
 */
export interface BenchSection<I> {
  /** The section's name in the results file (and in the saved file's name). */
  name: string;
  results: string;
  render: (input: I) => string;
  log: (line: string) => void;
}

/** Runs `work` once, however often it is called, and on SIGINT/SIGTERM (then the process exits with 130). */
export function cleanupOnce(log: (line: string) => void, what: string, work: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  const cleanup = () =>
    (stopping ??= (async () => {
      log(`cleaning up: ${what}…`);
      await work();
      log('cleaned up');
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  return cleanup;
}

/** Keeps the measurements as they are (so the text can be rendered again from them), then writes the section. */
export async function publish<I>(section: BenchSection<I>, input: I): Promise<void> {
  const saved = path.join(os.tmpdir(), `aftercare-bench-${section.name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(saved, JSON.stringify(input));
  section.log(`measurements saved to ${saved}`);
  await writeSection(section.results, section.name, section.render(input));
  section.log(`wrote the ${section.name} section of ${path.relative(process.cwd(), section.results)}`);
}

/** A failed run: exit code 1, the error, and the services' last output. */
export function reportFailure(error: unknown, serviceLogs: string[]): void {
  process.exitCode = 1;
  console.error(`bench failed: ${(error as Error).stack ?? error}`);
  if (serviceLogs.length) console.error(`--- last service output ---\n${serviceLogs.slice(-40).join('\n')}`);
}

/** The bench's entry: with BENCH_RENDER_FROM only the section is rendered again; otherwise `main`. */
export async function benchEntry<I>(section: BenchSection<I>, main: () => Promise<void>): Promise<void> {
  const from = process.env.BENCH_RENDER_FROM;
  if (!from) return main();
  const input = JSON.parse(await readFile(from, 'utf8')) as I;
  await writeSection(section.results, section.name, section.render(input));
  section.log(`rendered the ${section.name} section of ${path.relative(process.cwd(), section.results)} from ${from}`);
}
