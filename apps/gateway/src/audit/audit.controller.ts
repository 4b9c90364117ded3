import { Controller, Get, Inject, Query } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import type { RequestContext } from '@aftercare/contracts';
import { operatorClinicOf } from '../admin-queues/operator-clinic.guard.js';
import { Roles } from '../auth/auth.decorators.js';
import { ADMIN_ONLY } from '../auth/roles.js';
import { Ctx } from '../common/request-context.js';
import { ListAuditLogQueryDto } from './audit.dto.js';
import { AuditService, type AuditLogResource } from './audit.service.js';

/** Who read or changed which record, and who was refused: the admin's to read, nobody's to change. */
@Controller('api/audit-log')
export class AuditController {
  constructor(
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Roles(...ADMIN_ONLY)
  list(@Ctx() ctx: RequestContext, @Query() query: ListAuditLogQueryDto): Promise<{ items: AuditLogResource[]; nextCursor: string | null }> {
    // Entries of no clinic (refused sign-ins and tokens, which may name any clinic's record ids)
    // are the deployment's: the operator clinic's admins see them, other clinics' do not.
    return this.audit.list(ctx.clinicId, ctx.clinicId === operatorClinicOf(this.config), {
      ...(query.userId ? { userId: query.userId } : {}),
      ...(query.patientId ? { patientId: query.patientId } : {}),
      ...(query.recordType ? { recordType: query.recordType } : {}),
      ...(query.action ? { action: query.action } : {}),
      limit: query.limit ?? 100,
      ...(query.cursor ? { cursor: Number(query.cursor) } : {}),
    });
  }
}
