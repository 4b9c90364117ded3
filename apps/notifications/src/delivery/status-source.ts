import { sql } from 'drizzle-orm';
import type { Executor } from '@aftercare/database';

/** Who changes a message's status in this transaction, for its history (see migrations 0003_delivery and 0008). */
export type StatusSource = 'sender' | 'provider' | 'system';

/**
 * Tells the status-history trigger who is changing message statuses in the current
 * transaction (a transaction-local setting: it ends with the transaction).
 */
export async function setStatusSource(tx: Executor, source: StatusSource): Promise<void> {
  await tx.execute(sql`SELECT set_config('aftercare.status_source', ${source}, true)`);
}

