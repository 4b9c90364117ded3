import type { ServerResponse } from 'node:http';
import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { GatewayRequest } from '../common/http.js';
import { AuditService, auditEntryOf, isAudited } from './audit.service.js';

/**
 * Records every non-GET /api request once its answer has gone out, with the final status
 * (after the error filter has mapped any error). Requests refused before the handler — by the
 * auth guard — are recorded by the guard, since interceptors do not run for them.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const req = context.switchToHttp().getRequest<GatewayRequest>();
      const res = context.switchToHttp().getResponse<ServerResponse>();
      if (isAudited(req)) {
        res.once('finish', () => void this.audit.record(auditEntryOf(req, res.statusCode)));
      }
    }
    return next.handle();
  }
}
