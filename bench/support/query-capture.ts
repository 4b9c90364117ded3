import { performance } from 'node:perf_hooks';
import pg from 'pg';

/** One query as a service sent it (through drizzle to pg), with how long it took and what it returned. */
export interface CapturedQuery<K extends string = string> {
  config: { text: string; values?: unknown[]; rowMode?: string; types?: unknown };
  kind: K;
  ms: number;
  rows: number;
}

/**
 * A pg pool whose `query` records what goes through it while `capture` runs: drizzle's
 * node-postgres driver sends every statement of a service through `pool.query`, so this sees
 * exactly the SQL, the parameters and the number of round trips of one call. `kindOf` names
 * each statement from its SQL (for the tables of the results). Used by the slot-search profile
 * (booking bench) and the due-list baseline (workspace bench).
 */
export function instrumentedPool<K extends string>(url: string, kindOf: (text: string) => K, max = 4) {
  const pool = new pg.Pool({ connectionString: url, max });
  const original = pool.query.bind(pool) as (config: unknown, values?: unknown) => Promise<pg.QueryResult>;
  let sink: CapturedQuery<K>[] | null = null;
  (pool as unknown as { query: unknown }).query = async (config: unknown, values?: unknown) => {
    const t0 = performance.now();
    const result = await original(config, values);
    if (sink) {
      // drizzle calls query(config, params): the parameters come as the second argument.
      const c = typeof config === 'string' ? { text: config } : (config as CapturedQuery['config']);
      const merged = { ...c, values: (values as unknown[] | undefined) ?? c.values ?? [] };
      sink.push({ config: merged, kind: kindOf(c.text), ms: performance.now() - t0, rows: result.rowCount ?? result.rows?.length ?? 0 });
    }
    return result;
  };
  return {
    pool,
    /** Runs `query` alone, as captured (same text, parameters and row mode). */
    replay: (q: CapturedQuery) => original({ ...q.config }),
    raw: original,
    async capture<T>(work: () => Promise<T>): Promise<{ result: T; queries: CapturedQuery<K>[] }> {
      sink = [];
      try {
        const result = await work();
        return { result, queries: sink };
      } finally {
        sink = null;
      }
    },
  };
}
