/** `--smoke` or BENCH_SMOKE=1: a run of a few seconds with small data, to show a bench still works (CI). */
export const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';

/** A positive integer from the environment, or `fallback` when it is unset or empty. */
export function int(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}
