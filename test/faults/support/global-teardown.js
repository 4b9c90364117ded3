import { readFile } from 'node:fs/promises';

/** Prints the run's table, which each scenario wrote to test-artifacts/faults/REPORT.md (report.ts). */
export default async function globalTeardown() {
  const table = await readFile(new URL('../../../test-artifacts/faults/REPORT.md', import.meta.url), 'utf8').catch(() => null);
  if (table) process.stdout.write(`\nFault suite (test-artifacts/faults/REPORT.md):\n\n${table}\n`);
}
