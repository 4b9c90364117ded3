import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EventAck, EventEnvelope, EventType } from '@aftercare/contracts';
import { sql } from 'drizzle-orm';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { DRIZZLE, PreparedQuery, type Db, type Executor } from '@aftercare/database';
import { ActivityCounter } from './activity.js';
import { MESSAGING_OPTIONS, type MessagingOptions } from './messaging.options.js';

/**
 * Runs an event handler at most once per event id: the inbox row and the handler's changes
 * commit together, so a redelivered event (the relay did not see our ack) changes nothing.
 */
@Injectable()
export class Inbox {
  private readonly logger = new Logger('Inbox');
  /** The event's inbox row, if it is new: the first statement of every event handled (PreparedQuery). */
  private readonly claim: PreparedQuery<{ eventId: string; eventType: string }, { id: string }[]>;

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
    private readonly activity: ActivityCounter,
  ) {
    const { inbox } = options.tables;
    const { schema, name } = getTableConfig(inbox);
    this.claim = new PreparedQuery(`${schema ?? 'public'}.${name}.claim`, (tx) =>
      tx
        .insert(inbox)
        .values({ eventId: sql.placeholder('eventId'), eventType: sql.placeholder('eventType') })
        .onConflictDoNothing()
        .returning({ id: inbox.eventId }),
    );
  }

  async handleOnce<T extends EventType>(
    envelope: EventEnvelope<T>,
    handler: (tx: Executor, envelope: EventEnvelope<T>) => Promise<void>,
    /** Work that must wait until the transaction has committed (e.g. adding BullMQ jobs for new rows). */
    afterCommit?: () => Promise<void>,
  ): Promise<EventAck> {
    const fresh = await this.db.transaction(async (tx) => {
      const inserted = await this.claim.execute(tx, { eventId: envelope.id, eventType: envelope.type });
      if (inserted.length === 0) return false;
      await handler(tx, envelope);
      return true;
    });
    return this.settle(envelope, fresh, afterCommit);
  }

  /**
   * The end of handling an event whose inbox row the handler wrote itself, together with its
   * changes in one statement (one statement commits as a whole, so it needs no transaction; see
   * followup's care-plan-statements.ts). `fresh`: the row was new. Runs `afterCommit` for a new
   * event, counts the activity and answers the ack, as handleOnce does.
   */
  async settle(envelope: EventEnvelope, fresh: boolean, afterCommit?: () => Promise<void>): Promise<EventAck> {
    if (fresh && afterCommit) await afterCommit();
    this.activity.bump();
    if (!fresh) this.logger.debug(`event ${envelope.type} ${envelope.id} already handled`);
    return { ack: true, duplicate: !fresh };
  }
}
