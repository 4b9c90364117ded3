import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { loadConfigOrExit } from '@aftercare/config';
import { FollowupModule } from '../apps/followup/src/followup.module.js';
import { GatewayModule } from '../apps/gateway/src/app.module.js';
import { NotificationsModule } from '../apps/notifications/src/notifications.module.js';
import { SchedulingModule } from '../apps/scheduling/src/scheduling.module.js';

/**
 * `npm run seed`: the demo clinic, clinicians, procedure types, protocols and users of
 * PRODUCT.md ("Demo data"), on the configured database. Each service seeds its own part when
 * it starts outside production; this starts each one's module without serving, and stops it.
 * Idempotent: what exists is left alone.
 */
const config = { ...loadConfigOrExit('seed'), seedDemo: true };
if (config.production) {
  console.error('[seed] refusing to create demo users and data with NODE_ENV=production.');
  process.exit(1);
}
for (const [name, module] of [
  ['scheduling', SchedulingModule.forRoot(config)],
  ['followup', FollowupModule.forRoot(config)],
  ['notifications', NotificationsModule.forRoot(config)],
  ['gateway', GatewayModule.forRoot(config)],
] as const) {
  const app = await NestFactory.createApplicationContext(module, { logger: ['error', 'warn', 'log'] });
  await app.close();
  process.stdout.write(`${name}: demo data in place\n`);
}
process.stdout.write('Done. Log in as admin@aftercare.local, frontdesk@aftercare.local or clinician@aftercare.local (password "aftercare-demo").\n');
