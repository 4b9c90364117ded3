import { Controller, Get, Query } from '@nestjs/common';
import type { RequestContext } from '@aftercare/contracts';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY } from '../auth/roles.js';
import { Ctx } from '../common/request-context.js';
import { ListAuditLogQueryDto } from './audit.dto.js';
import { AuditService, type AuditLogResource } from './audit.service.js';

/** Who read or changed which record, and who was refused: the admin's to read, nobody's to change. */
@Controller('api/audit-log')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles(...ADMIN_ONLY)
  list(@Ctx() ctx: RequestContext, @Query() query: ListAuditLogQueryDto): Promise<{ items: AuditLogResource[]; nextCursor: string | null }> {
    return this.audit.list(ctx.clinicId, {
      ...(query.userId ? { userId: query.userId } : {}),
      ...(query.patientId ? { patientId: query.patientId } : {}),
      ...(query.recordType ? { recordType: query.recordType } : {}),
      ...(query.action ? { action: query.action } : {}),
      limit: query.limit ?? 100,
      ...(query.cursor ? { cursor: Number(query.cursor) } : {}),
    });
  }
}
