import { Global, Inject, Injectable, Logger, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type { Pool } from 'pg';
import { VIRTUAL_CLOCK_DDL } from '@aftercare/clock';
import { createPool, ensureDatabase } from './connection.js';
import { migrate, type Migration } from './migrator.js';

export const PG_POOL = Symbol('PG_POOL');
export const DRIZZLE = Symbol('DRIZZLE');
export type Db = NodePgDatabase<Record<string, unknown>>;

@Injectable()
class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

export interface DatabaseModuleOptions {
  url: string;
  /** The service's own schema; its migrations run before anything else starts. */
  schema: string;
  migrations: readonly Migration[];
  applicationName: string;
  poolSize?: number;
}

@Global()
@Module({})
export class DatabaseModule {
  static forService(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: PG_POOL,
          useFactory: async () => {
            const logger = new Logger('Database');
            await ensureDatabase(options.url);
            const pool = createPool(options.url, options.applicationName, options.poolSize);
            await migrate(pool, 'dev_clock', [{ id: '0001_virtual_clock', sql: VIRTUAL_CLOCK_DDL }]);
            await migrate(pool, options.schema, options.migrations, (line) => logger.log(line));
            return pool;
          },
        },
        { provide: DRIZZLE, inject: [PG_POOL], useFactory: (pool: Pool) => drizzle({ client: pool }) },
        PoolCloser,
      ],
      exports: [PG_POOL, DRIZZLE],
    };
  }
}

/** A database handle or an open transaction: repositories take either. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Executor = PgDatabase<any, any, any>;
