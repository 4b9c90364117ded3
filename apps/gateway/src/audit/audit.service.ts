import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { and, desc, eq, isNull, lt, or, type SQL } from 'drizzle-orm';
import { DRIZZLE, type Db } from '@aftercare/database';
import { auditLog, type AuditLogRow } from '../database/schema.js';
import type { AuditEntry } from './audit-entry.js';

export type { AuditEntry } from './audit-entry.js';

export interface AuditQuery {
  userId?: string;
  patientId?: string;
  recordType?: string;
  action?: string;
  limit: number;
  /** The id of the last entry of the previous page. */
  cursor?: number;
}

export interface AuditLogResource {
  id: number;
  at: string;
  userId: string | null;
  clinicId: string | null;
  action: string | null;
  recordType: string | null;
  recordId: string | null;
  patientId: string | null;
  method: string;
  route: string;
  outcome: number;
  requestId: string | null;
}

/** Entries written in one INSERT at most: a burst of reads becomes a few statements. */
const BATCH = 500;

/**
 * Writes the audit log after the answers have gone out, never in a request's way: entries that
 * arrive while an INSERT is under way are written together by the next one, so a busy gateway
 * makes one statement per batch, not one per request. A failed INSERT is logged loudly (the
 * request ids only; entries name no patient data anyway) and the service carries on.
 */
@Injectable()
export class AuditService implements OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private pending: AuditEntry[] = [];
  private writing: Promise<void> | null = null;

  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  record(entry: AuditEntry): void {
    this.pending.push(entry);
    this.writing ??= this.drain().finally(() => (this.writing = null));
  }

  /** Resolves once everything recorded so far is in the table (or was reported lost). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private async drain(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, BATCH);
      try {
        await this.db.insert(auditLog).values(batch);
      } catch (error) {
        const ids = batch.map((e) => e.correlationId).join(',');
        this.logger.error(`could not record ${batch.length} audit entr${batch.length === 1 ? 'y' : 'ies'} (rid=${ids}): ${(error as { code?: string }).code ?? (error as Error).name}`);
      }
    }
  }

  /**
   * The clinic's audit log, newest first, a page at a time. Entries of requests nobody was
   * signed in for (refused logins and tokens) belong to no clinic: they are listed with
   * `withDeployment` (for the admins of the clinic that runs the deployment) and not otherwise,
   * as their paths may carry another clinic's record ids.
   */
  async list(clinicId: string, withDeployment: boolean, query: AuditQuery): Promise<{ items: AuditLogResource[]; nextCursor: string | null }> {
    const conditions: (SQL | undefined)[] = [withDeployment ? or(eq(auditLog.clinicId, clinicId), isNull(auditLog.clinicId)) : eq(auditLog.clinicId, clinicId)];
    if (query.userId) conditions.push(eq(auditLog.userId, query.userId));
    if (query.patientId) conditions.push(eq(auditLog.patientId, query.patientId));
    if (query.recordType) conditions.push(eq(auditLog.recordType, query.recordType));
    if (query.action) conditions.push(eq(auditLog.action, query.action as NonNullable<AuditLogRow['action']>));
    if (query.cursor !== undefined) conditions.push(lt(auditLog.id, query.cursor));
    const rows = await this.db
      .select()
      .from(auditLog)
      .where(and(...conditions))
      .orderBy(desc(auditLog.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map(toResource),
      nextCursor: rows.length > query.limit ? String(page[page.length - 1]!.id) : null,
    };
  }
}

function toResource(row: AuditLogRow): AuditLogResource {
  return {
    id: row.id,
    at: row.at.toISOString(),
    userId: row.userId,
    clinicId: row.clinicId,
    action: row.action,
    recordType: row.recordType,
    recordId: row.targetId,
    patientId: row.patientId,
    method: row.method,
    route: row.route,
    outcome: row.statusCode,
    requestId: row.correlationId,
  };
}
