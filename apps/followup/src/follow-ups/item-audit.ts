import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { asc, eq } from 'drizzle-orm';
import type { ItemActionKind, ItemActionResource, RequestContext } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { itemActions } from '../database/schema.js';

/** Who acted: a user from a request, or the system (a rule, a step). */
export type Actor = Pick<RequestContext, 'userId' | 'role'>;
export const SYSTEM: Actor = { userId: null, role: 'system' };

export interface AuditEntry {
  clinicId: string;
  itemId: string;
  action: ItemActionKind;
  actor: Actor;
  note?: string | null;
  /** What changed, in ids, codes and times: never patient names or texts. */
  details?: Record<string, unknown>;
}

/** The append-only record of what was done to each due-list item (followup.item_actions). */
@Injectable()
export class ItemAudit {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** In the transaction of the change itself: the action and its record commit together. */
  async record(tx: Executor, entry: AuditEntry): Promise<void> {
    await tx.insert(itemActions).values({
      id: randomUUID(),
      clinicId: entry.clinicId,
      itemId: entry.itemId,
      action: entry.action,
      actorId: entry.actor.userId,
      actorRole: entry.actor.role,
      at: this.clock.now(),
      note: entry.note ?? null,
      details: entry.details ?? {},
    });
  }

  async history(itemId: string, db: Executor = this.db): Promise<ItemActionResource[]> {
    const rows = await db.select().from(itemActions).where(eq(itemActions.itemId, itemId)).orderBy(asc(itemActions.seq));
    return rows.map((r) => ({
      id: r.id,
      action: r.action,
      at: r.at.toISOString(),
      actorId: r.actorId,
      actorRole: r.actorRole,
      note: r.note,
      details: r.details,
    }));
  }
}
