import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '@aftercare/database';

/** Who changes a message's status in this transaction, for its history (see migration 0003_delivery). */
export type StatusSource = 'sender' | 'provider' | 'system';

/**
 * Tells the status-history trigger who is changing message statuses in the current
 * transaction (a transaction-local setting: it ends with the transaction).
 */
export async function setStatusSource(tx: Executor, source: StatusSource): Promise<void> {
  await tx.execute(sql`SELECT set_config('aftercare.status_source', ${source}, true)`);
}

/**
 * The same for a single statement outside a transaction, as a condition of its WHERE (always
 * true): the setting is made while the rows are read, before the trigger runs at the end of the
 * statement, and ends with the statement's own transaction. Saves a BEGIN/set_config/COMMIT.
 */
export function statusSourceIs(source: StatusSource): SQL {
  return sql`set_config('aftercare.status_source', ${source}, true) IS NOT NULL`;
}
