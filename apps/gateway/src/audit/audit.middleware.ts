import type { ServerResponse } from 'node:http';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import { auditEntryOf, type AuditedRequest } from './audit-entry.js';
import { AuditService } from './audit.service.js';

/**
 * Audits every request once its answer has gone out, with the final status (after the auth
 * guard and the error filter have had their say), so refusals by the guard — which no
 * interceptor sees — are in the log like everything else. A stream (server-sent events) is
 * recorded when it closes.
 */
@Injectable()
export class AuditMiddleware implements NestMiddleware {
  constructor(private readonly audit: AuditService) {}

  use(req: AuditedRequest, res: ServerResponse, next: () => void): void {
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      const entry = auditEntryOf(req, res.statusCode);
      if (entry) this.audit.record(entry);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  }
}
