import { Inject, Injectable, Logger } from '@nestjs/common';
import { DRIZZLE, type Db } from '@aftercare/database';
import { auditLog } from '../database/schema.js';
import type { GatewayRequest } from '../common/http.js';

export interface AuditEntry {
  clinicId: string | null;
  userId: string | null;
  method: string;
  route: string;
  targetId: string | null;
  statusCode: number;
  correlationId: string | null;
}

/** Requests that change something are audited; reads are not (they would drown the log). */
export const isAudited = (req: Pick<GatewayRequest, 'method' | 'originalUrl'>): boolean =>
  req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && /^\/api(\/|$|\?)/.test(req.originalUrl);

/**
 * The audit entry of a request: who, what route (the pattern, e.g. /api/appointments/:id/cancel,
 * never the URL with its query), which record, and how it ended. Never a body.
 */
export function auditEntryOf(req: GatewayRequest, statusCode: number): AuditEntry {
  const target = req.params?.id;
  return {
    clinicId: req.user?.clinicId ?? null,
    userId: req.user?.id ?? null,
    method: req.method,
    route: req.route?.path ?? '(no route)',
    targetId: typeof target === 'string' ? target.slice(0, 200) : null,
    statusCode,
    correlationId: req.correlationId ?? null,
  };
}

@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  /** Never fails the request it records: a lost audit row is logged loudly instead. */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.db.insert(auditLog).values(entry);
    } catch (error) {
      this.logger.error(`could not record ${entry.method} ${entry.route} (${entry.statusCode}) rid=${entry.correlationId}: ${(error as Error).message}`);
    }
  }
}
