/** How long an id skipped over is looked for again before it counts as never coming. */
export const GAP_WAIT_MS = 10_000;
/** At most this many skipped ids are remembered (beyond that, a burst of late commits may be missed). */
export const MAX_GAPS = 1_000;

/** What one read of the history found after the cursor. */
export interface HistoryRead {
  /** The highest id read after the cursor, or null when there was nothing new. */
  maxId: number | null;
  /** Ids between the cursor and maxId that were not there (looked for only when some are missing). */
  missing: readonly number[];
  /** Skipped ids asked for again that are there now. */
  filled: readonly number[];
}

/**
 * Where the live publisher is in notifications.message_events. Ids come from a sequence, so
 * they are handed out in insert order but become visible in commit order: an entry written by
 * a transaction that commits late can appear below ids already read, and reading `id > last`
 * alone would never see it. The cursor remembers the ids it skipped over and has them asked
 * for again; one that never fills (its transaction rolled back) is dropped after GAP_WAIT_MS.
 * No I/O: the publisher does the reading.
 */
export class HistoryCursor {
  private last: number | null = null;
  /** Skipped id → when it was first missed (ms, any monotonic clock). */
  private readonly gaps = new Map<number, number>();

  constructor(
    private readonly gapWaitMs = GAP_WAIT_MS,
    private readonly maxGaps = MAX_GAPS,
  ) {}

  /** Whether it is following the history (started and not stopped since). */
  get following(): boolean {
    return this.last !== null;
  }

  /** The id everything up to which has been read or given up on. */
  get after(): number {
    if (this.last === null) throw new Error('The history cursor is not following; start it first');
    return this.last;
  }

  /** Follows from `newestId` on: what happened before is the pages' own first load. */
  start(newestId: number): void {
    this.last = newestId;
    this.gaps.clear();
  }

  stop(): void {
    this.last = null;
    this.gaps.clear();
  }

  /** Skipped ids still worth asking for at `nowMs`; those waited on long enough are forgotten. */
  lateIds(nowMs: number): number[] {
    for (const [id, since] of this.gaps) if (nowMs - since > this.gapWaitMs) this.gaps.delete(id);
    return [...this.gaps.keys()];
  }

  /**
   * How many ids after the cursor up to `maxId` a read of `count` entries did not find, when it
   * is worth looking for which (0 otherwise: none missing, or more than could be remembered).
   */
  missingCount(maxId: number | null, count: number): number {
    if (maxId === null) return 0;
    const missing = maxId - this.after - count;
    return missing > 0 && missing <= this.maxGaps - this.gaps.size ? missing : 0;
  }

  /** Moves on past what a read found, remembering what it skipped over. */
  advance(read: HistoryRead, nowMs: number): void {
    const after = this.after;
    for (const id of read.filled) this.gaps.delete(id);
    for (const id of read.missing) {
      if (this.gaps.size >= this.maxGaps) break;
      if (id > after && (read.maxId === null || id < read.maxId)) this.gaps.set(id, nowMs);
    }
    if (read.maxId !== null && read.maxId > after) this.last = read.maxId;
  }
}
