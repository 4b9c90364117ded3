import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { Clock } from '@aftercare/clock';
import type { Executor } from '@aftercare/database';
import { OutboxWriter } from '@aftercare/messaging';
import { items, type AttentionEvidence, type CarePlanRow } from '../database/schema.js';
import { ItemAudit, SYSTEM } from '../follow-ups/item-audit.js';
import { EVIDENCE_KEPT, type EscalationFinding, type EscalationRules } from './escalation.rules.js';

/** The plan an attention item belongs to. */
export type AttentionPlan = Pick<CarePlanRow, 'id' | 'clinicId' | 'patientId' | 'clinicianId'>;

/**
 * Puts escalation findings on the clinician's due list: one open attention item per patient,
 * plan and cause. A cause that fires again while its item is open adds its evidence to that
 * item (and brings it back if it was snoozed) instead of raising a second one.
 */
@Injectable()
export class AttentionService {
  constructor(
    private readonly clock: Clock,
    private readonly outbox: OutboxWriter,
    private readonly audit: ItemAudit,
  ) {}

  async raise(tx: Executor, plan: AttentionPlan, findings: EscalationFinding[], rules: EscalationRules, facts: Omit<AttentionEvidence, 'at' | 'reason'> = {}): Promise<void> {
    const now = this.clock.now();
    for (const finding of findings) {
      const evidence: AttentionEvidence = { at: now.toISOString(), reason: finding.reason, ...facts };
      // One statement: a concurrent answer for the same cause waits on the unique index and
      // then updates the item this one created.
      const [row] = await tx
        .insert(items)
        .values({
          id: randomUUID(),
          clinicId: plan.clinicId,
          patientId: plan.patientId,
          carePlanId: plan.id,
          clinicianId: plan.clinicianId,
          kind: 'attention',
          cause: finding.cause,
          reason: finding.reason,
          dueAt: now,
          status: 'open',
          evidence: [evidence],
          createdAt: now,
        })
        .onConflictDoUpdate({
          target: [items.patientId, items.carePlanId, items.cause],
          targetWhere: sql`status = 'open' AND kind = 'attention'`,
          set: {
            reason: finding.reason,
            // Newest first; `- n` drops the element at index n, the one past the kept few.
            evidence: sql`(jsonb_build_array(${JSON.stringify(evidence)}::jsonb) || COALESCE(${items.evidence}, '[]'::jsonb)) - ${EVIDENCE_KEPT}`,
            occurrences: sql`${items.occurrences} + 1`,
            snoozedUntil: null,
            updatedAt: now,
          },
        })
        .returning({ id: items.id, occurrences: items.occurrences, clinicianId: items.clinicianId });
      if (!row) continue;
      const isNew = row.occurrences === 1;
      await this.audit.record(tx, {
        clinicId: plan.clinicId,
        itemId: row.id,
        action: isNew ? 'raised' : 'evidence',
        actor: SYSTEM,
        details: { cause: finding.cause, ...facts },
      });
      if (isNew && rules.emailAlerts && row.clinicianId) {
        await this.outbox.publish(tx, 'follow-up.attention-raised', { itemId: row.id, clinicianId: row.clinicianId, cause: finding.cause }, { clinicId: plan.clinicId });
      }
    }
  }

  /** The patient's own words (the free-text rule) joined or opened an item: its audit, and for a new one the alert. */
  async patientTextRaised(tx: Executor, clinicId: string, itemId: string, clinicianId: string, rules: EscalationRules, isNew: boolean): Promise<void> {
    await this.audit.record(tx, { clinicId, itemId, action: isNew ? 'raised' : 'evidence', actor: SYSTEM, details: { cause: 'patient-text' } });
    if (isNew && rules.emailAlerts) {
      await this.outbox.publish(tx, 'follow-up.attention-raised', { itemId, clinicianId, cause: 'patient-text' }, { clinicId });
    }
  }
}
