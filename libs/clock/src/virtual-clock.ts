import type { Pool } from 'pg';
import { Clock } from './clock.js';

/**
 * Real time plus a shared offset. The offset lives in PostgreSQL (`dev_clock.virtual_clock`)
 * rather than Redis, so a flushed or restarted Redis does not throw the clock back to today.
 * Each process caches the offset; the virtual clock's coordinator tells every service to
 * refresh it after a change, and a periodic refresh catches anything missed.
 */
export class VirtualClock extends Clock {
  private offsetMs = 0;

  constructor(private readonly pool: Pool) {
    super();
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offset(): number {
    return this.offsetMs;
  }

  async refresh(): Promise<number> {
    const { rows } = await this.pool.query<{ offset_ms: string }>('SELECT offset_ms FROM dev_clock.virtual_clock WHERE id = 1');
    this.offsetMs = rows[0] ? Number(rows[0].offset_ms) : 0;
    return this.offsetMs;
  }

  /** Moves the shared clock so that now() returns `at` (never backwards). */
  async moveTo(at: Date): Promise<Date> {
    const wanted = at.getTime() - Date.now();
    const { rows } = await this.pool.query<{ offset_ms: string }>(
      `INSERT INTO dev_clock.virtual_clock (id, offset_ms) VALUES (1, $1)
       ON CONFLICT (id) DO UPDATE SET offset_ms = GREATEST(dev_clock.virtual_clock.offset_ms, EXCLUDED.offset_ms)
       RETURNING offset_ms`,
      [wanted],
    );
    this.offsetMs = Number(rows[0]!.offset_ms);
    return this.now();
  }
}

/** Created by every service's migrations (idempotent): the shared offset of the virtual clock. */
export const VIRTUAL_CLOCK_DDL = `
CREATE SCHEMA IF NOT EXISTS dev_clock;
CREATE TABLE IF NOT EXISTS dev_clock.virtual_clock (
  id smallint PRIMARY KEY CHECK (id = 1),
  offset_ms bigint NOT NULL DEFAULT 0
);`;
