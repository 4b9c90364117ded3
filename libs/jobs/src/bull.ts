import { BullModule } from '@nestjs/bullmq';
import { BULLMQ_PREFIX } from '@aftercare/contracts';
import type { AppConfig } from '@aftercare/config';

/** BullMQ's connection and key prefix, the same for every service. */
export function bullRoot(config: AppConfig) {
  return BullModule.forRoot({
    prefix: BULLMQ_PREFIX,
    connection: {
      host: config.redis.host,
      port: config.redis.port,
      username: config.redis.username,
      password: config.redis.password,
      db: config.redis.db,
    },
  });
}
