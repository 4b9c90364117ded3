import { performance } from 'node:perf_hooks';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Pool } from 'pg';
import { LIVE, type LiveMessageChange, type LiveMessageChanges, type LiveStats } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig, redisEndpoint } from '@aftercare/config';
import { PG_POOL } from '@aftercare/database';
import { DrainLoop, safeErrorMessage } from '@aftercare/messaging';
import { HistoryCursor } from './history-cursor.js';

/** History entries read per tick at most; a bigger burst is read over the next ticks. */
const BATCH = 5_000;

/**
 * The patients whose messages changed after the cursor (and in the late ids asked for again),
 * one row per clinic and patient, never per entry. The first row also carries what the cursor
 * needs: the highest id read, how many entries, which late ids are there now. A LEFT JOIN keeps
 * that row when nothing changed. Messages of nobody (a text from an unknown number) are left out.
 */
const CHANGES_SQL = `
WITH fresh AS (
  SELECT id, message_id FROM notifications.message_events WHERE id > $1 ORDER BY id LIMIT $3
), late AS (
  SELECT id, message_id FROM notifications.message_events WHERE id = ANY($2::bigint[])
), changed AS (
  SELECT DISTINCT m.clinic_id, m.patient_id
  FROM (SELECT message_id FROM fresh UNION ALL SELECT message_id FROM late) e
  JOIN notifications.messages m ON m.id = e.message_id
  WHERE m.clinic_id IS NOT NULL AND m.patient_id IS NOT NULL
)
SELECT r.max_id, r.n, r.late_ids, c.clinic_id, c.patient_id
FROM (
  SELECT (SELECT max(id) FROM fresh) AS max_id,
         (SELECT count(*) FROM fresh)::int AS n,
         (SELECT coalesce(array_agg(id), '{}') FROM late) AS late_ids
) r
LEFT JOIN changed c ON true`;

/** The ids in (after, max] that are not there (yet): asked only when the count says some are missing. */
const MISSING_SQL = `
SELECT g::text AS id FROM generate_series($1::bigint + 1, $2::bigint) AS g
WHERE NOT EXISTS (SELECT 1 FROM notifications.message_events e WHERE e.id = g)`;

const NEWEST_SQL = `SELECT coalesce(max(id), 0)::text AS id FROM notifications.message_events`;

interface ChangesRow {
  max_id: string | null;
  n: number;
  late_ids: string[];
  clinic_id: string | null;
  patient_id: string | null;
}

/**
 * Tells the gateways, every LIVE.tickMs, which patients' messages changed, for the web app's
 * live views (GET /api/live). Every change of a message - a new row, inbound or outbound, and
 * every status change - is already an entry in notifications.message_events (a trigger, in the
 * same transaction), so this only follows that history: no service has to remember to announce.
 *
 * It works only while someone listens: each tick costs one GET of LIVE.listenersKey, which the
 * gateways keep alive while they have a stream open. With no listener it reads nothing (sending
 * must not pay for a page nobody has open), and when one appears it starts from the newest entry
 * (the page loads what came before itself). While following, it publishes one message per tick
 * on LIVE.messagesChannel with ids only - an empty list too, so that the gateways know it is
 * following. Several replicas publish the same changes: harmless, the pages only reload.
 */
@Injectable()
export class LiveChangesPublisher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('LiveChanges');
  private readonly redis: Redis;
  private readonly cursor = new HistoryCursor();
  private readonly loop = new DrainLoop(
    () => this.tick(),
    (error) => this.failed(error),
  );
  private readonly counts = { ticks: 0, reads: 0, published: 0 };
  /** Whether the last tick failed: one warning per outage, not one per tick. */
  private failing = false;

  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Its own connection for GET and PUBLISH: the transport's are busy subscribing.
    this.redis = new Redis({
      ...redisEndpoint(config.redis),
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectionName: 'aftercare-notifications-live',
    });
    this.redis.on('error', () => undefined); // a failed tick says so (failed())
  }

  onApplicationBootstrap(): void {
    this.loop.start(LIVE.tickMs);
  }

  /** Before the pool and the other connections close: the running tick finishes first. */
  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
    this.redis.disconnect();
  }

  stats(): LiveStats {
    return { following: this.cursor.following, ...this.counts };
  }

  private async tick(): Promise<void> {
    this.counts.ticks++;
    const listening = (await this.redis.get(LIVE.listenersKey)) !== null;
    if (!listening) {
      if (this.cursor.following) this.logger.debug('nobody listens: live changes stop');
      this.cursor.stop();
    } else if (!this.cursor.following) {
      this.cursor.start(await this.newestId());
      this.logger.debug('someone listens: live changes follow from the newest message event');
      await this.publish([]);
    } else {
      const { changes, moveOn } = await this.readChanges();
      await this.publish(changes);
      // Only once published: a tick that failed is read again at the next one.
      moveOn();
    }
    if (this.failing) this.logger.log('live changes work again');
    this.failing = false;
  }

  private async newestId(): Promise<number> {
    this.counts.reads++;
    const { rows } = await this.pool.query<{ id: string }>(NEWEST_SQL);
    return Number(rows[0]!.id);
  }

  private async readChanges(): Promise<{ changes: LiveMessageChange[]; moveOn: () => void }> {
    const now = performance.now();
    const after = this.cursor.after;
    this.counts.reads++;
    const { rows } = await this.pool.query<ChangesRow>({
      name: 'aftercare-live-changes',
      text: CHANGES_SQL,
      values: [after, this.cursor.lateIds(now), BATCH],
    });
    const head = rows[0]!;
    const maxId = head.max_id === null ? null : Number(head.max_id);
    let missing: number[] = [];
    if (this.cursor.missingCount(maxId, head.n) > 0) {
      this.counts.reads++;
      const found = await this.pool.query<{ id: string }>({ name: 'aftercare-live-missing', text: MISSING_SQL, values: [after, maxId] });
      missing = found.rows.map((r) => Number(r.id));
    }
    return {
      changes: rows.filter((r) => r.clinic_id && r.patient_id).map((r) => ({ clinicId: r.clinic_id!, patientId: r.patient_id! })),
      moveOn: () => this.cursor.advance({ maxId, missing, filled: head.late_ids.map(Number) }, now),
    };
  }

  private async publish(changes: LiveMessageChange[]): Promise<void> {
    const message: LiveMessageChanges = { changes };
    await this.redis.publish(LIVE.messagesChannel, JSON.stringify(message));
    this.counts.published++;
  }

  private failed(error: unknown): void {
    if (!this.failing) this.logger.warn(`live changes paused: ${safeErrorMessage(error)}`);
    this.failing = true;
  }
}
