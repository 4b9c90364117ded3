import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { tap, type Observable } from 'rxjs';
import type { AuditedRequest } from './audit-entry.js';

/**
 * Notes what the answer says about the record (its `id` after a POST created it, and its
 * `patientId`), so that the entry AuditMiddleware writes once the answer has gone out names the
 * new record and the patient it belongs to — ids only, never the answer itself.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<AuditedRequest>();
    return next.handle().pipe(
      tap((answer) => {
        if (!answer || typeof answer !== 'object' || Array.isArray(answer)) return;
        const { id, patientId } = answer as { id?: unknown; patientId?: unknown };
        if (req.method === 'POST' && typeof id === 'string') req.createdRecordId = id;
        if (typeof patientId === 'string') req.answerPatientId = patientId;
      }),
    );
  }
}
