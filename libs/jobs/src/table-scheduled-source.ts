import type { Queue } from 'bullmq';
import { and, asc, eq, gt, lte, min, or, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { JobName } from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import type { DueRow, ScheduledSource } from './scheduled-source.js';

/** Where a service keeps its scheduled rows: the table, its id and due-time columns, and what "pending" means. */
export interface ScheduledTable {
  table: PgTable;
  id: PgColumn;
  dueAt: PgColumn;
  /** The rows still waiting for their job, e.g. `eq(steps.status, 'scheduled')`. */
  pending: SQL;
}

/** A ScheduledSource over one table: the queries the reconciler and the virtual clock need. */
export abstract class TableScheduledSource implements ScheduledSource {
  abstract readonly jobName: JobName;

  protected constructor(
    readonly queue: Queue,
    private readonly db: Db,
    private readonly rows: ScheduledTable,
  ) {}

  async pendingRows(limit: number, after: DueRow | null, until?: Date): Promise<DueRow[]> {
    const { id, dueAt, pending } = this.rows;
    const cursor = after ? or(gt(dueAt, after.dueAt), and(eq(dueAt, after.dueAt), gt(id, after.id))) : undefined;
    return this.select(and(pending, cursor, until ? lte(dueAt, until) : undefined)!, limit);
  }

  async dueRows(until: Date, limit: number): Promise<DueRow[]> {
    return this.select(and(this.rows.pending, lte(this.rows.dueAt, until))!, limit);
  }

  async earliestPending(): Promise<Date | null> {
    const [row] = await this.db.select({ at: min(this.rows.dueAt) }).from(this.rows.table).where(this.rows.pending);
    return (row?.at as Date | null | undefined) ?? null;
  }

  async isPending(id: string): Promise<boolean> {
    const found = await this.db.select({ id: this.rows.id }).from(this.rows.table).where(and(eq(this.rows.id, id), this.rows.pending)).limit(1);
    return found.length > 0;
  }

  private async select(where: SQL, limit: number): Promise<DueRow[]> {
    const { table, id, dueAt } = this.rows;
    const found = await this.db.select({ id, dueAt }).from(table).where(where).orderBy(asc(dueAt), asc(id)).limit(limit);
    return found as DueRow[];
  }
}
