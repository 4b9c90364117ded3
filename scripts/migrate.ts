import { VIRTUAL_CLOCK_DDL } from '@aftercare/clock';
import { loadConfigOrExit } from '@aftercare/config';
import { createPool, ensureDatabase, migrate } from '@aftercare/database';
import { FOLLOWUP_MIGRATIONS } from '../apps/followup/src/database/migrations.js';
import { migrations as GATEWAY_MIGRATIONS } from '../apps/gateway/src/database/migrations.js';
import { NOTIFICATIONS_MIGRATIONS } from '../apps/notifications/src/database/migrations.js';
import { SCHEDULING_MIGRATIONS } from '../apps/scheduling/src/database/migrations.js';

/**
 * `npm run migrate`: every service's migrations, without starting the services (which also
 * migrate on start). For deployments that migrate as a separate step.
 */
const config = loadConfigOrExit('migrate');
await ensureDatabase(config.databaseUrl);
const pool = createPool(config.databaseUrl, 'aftercare-migrate', 2);
try {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  await migrate(pool, 'dev_clock', [{ id: '0001_virtual_clock', sql: VIRTUAL_CLOCK_DDL }], log);
  for (const [schema, migrations] of [
    ['gateway', GATEWAY_MIGRATIONS],
    ['scheduling', SCHEDULING_MIGRATIONS],
    ['followup', FOLLOWUP_MIGRATIONS],
    ['notifications', NOTIFICATIONS_MIGRATIONS],
  ] as const) {
    const applied = await migrate(pool, schema, migrations, log);
    if (applied.length === 0) log(`${schema}: up to date`);
  }
} finally {
  await pool.end();
}
