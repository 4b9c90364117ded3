import type { Queue } from 'bullmq';
import type { JobName } from '@aftercare/contracts';

export interface DueRow {
  id: string;
  dueAt: Date;
}

/**
 * A table of scheduled rows (care-plan steps, outgoing messages) whose BullMQ jobs wake them
 * up. The row is the truth; the job (jobId = row id) is only the alarm. The reconciler and the
 * virtual clock work through this interface.
 */
export interface ScheduledSource {
  readonly queue: Queue;
  readonly jobName: JobName;
  /** Rows still waiting for their job, ordered by (dueAt, id), after the cursor (and due by `until`, if given). */
  pendingRows(limit: number, after: DueRow | null, until?: Date): Promise<DueRow[]>;
  /** Pending rows due at or before `until`, in due order. */
  dueRows(until: Date, limit: number): Promise<DueRow[]>;
  /** The earliest due time of a pending row, or null. */
  earliestPending(): Promise<Date | null>;
  /** Whether the row still waits for its job (read again, to close races with a running job). */
  isPending(id: string): Promise<boolean>;
}

export const SCHEDULED_SOURCES = Symbol('SCHEDULED_SOURCES');
