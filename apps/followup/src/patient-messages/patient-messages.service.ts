import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { and, desc, eq } from 'drizzle-orm';
import type { EventEnvelope } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import type { Executor } from '@aftercare/database';
import {
  BOOKING_TASK_REASONS,
  callBookBy,
  messageCause,
  patientTextReason,
  TEXTS_SHOWN,
} from '../booking-tasks/domain/booking-task.rules.js';
import { carePlans, items, patients, type CarePlanRow } from '../database/schema.js';
import { AttentionService } from '../escalation/attention.service.js';
import { EscalationSettingsService } from '../escalation/escalation-settings.service.js';
import { FollowUpsService } from '../follow-ups/follow-ups.service.js';

/** Where an item about the patient's own words goes. */
const PATIENT_TEXT = 'patient-text';

/**
 * What patients write that is no keyword and no pain score, and messages that reached nobody:
 * the clinician reads the patient's words (one open attention item per patient, newest texts
 * first); the front desk confirms an opt-out asked for in words, and calls a patient no message
 * reached.
 */
@Injectable()
export class PatientMessagesService {
  constructor(
    private readonly clock: Clock,
    private readonly followUps: FollowUpsService,
    private readonly settings: EscalationSettingsService,
    private readonly attention: AttentionService,
  ) {}

  async wrote(tx: Executor, e: EventEnvelope<'patient.wrote'>): Promise<void> {
    const p = e.payload;
    const at = new Date(p.at);
    const plan = await this.activePlanOf(tx, e.clinicId, p.patientId);
    const zone = await this.zoneOf(tx, p.patientId);
    const clinicianId = plan?.clinicianId ?? p.clinicianId;
    const rules = await this.settings.rulesOf(e.clinicId, tx);
    if (p.asksToStop || !clinicianId || !rules.freeText) {
      // Words asking to stop, words no clinician follows, or a clinic that turned the free-text
      // rule off: the front desk calls.
      const confirm = p.asksToStop;
      await this.followUps.raise(tx, {
        plan: { id: plan?.id ?? null, clinicId: e.clinicId, patientId: p.patientId, clinicianId },
        kind: 'booking_task',
        cause: messageCause(p.messageId),
        reason: confirm ? BOOKING_TASK_REASONS.confirm_opt_out : 'The patient sent a text that needs a reply: ask a clinician to read it in their messages',
        dueAt: at,
        task: { source: confirm ? 'confirm_opt_out' : 'call_patient', procedureType: null, bookBy: callBookBy(at, zone) },
      });
      return;
    }
    // One open item per patient: a new text joins it (newest first) instead of piling up items.
    const [open] = await tx
      .select()
      .from(items)
      .where(and(eq(items.patientId, p.patientId), eq(items.status, 'open'), eq(items.cause, PATIENT_TEXT)))
      .for('update');
    if (open) {
      const texts = [p.text, ...(open.texts ?? [])].slice(0, TEXTS_SHOWN);
      // New words bring a snoozed item back.
      const now = this.clock.now();
      await tx.update(items).set({ reason: patientTextReason(texts), texts, occurrences: open.occurrences + 1, snoozedUntil: null, updatedAt: now }).where(eq(items.id, open.id));
      await this.attention.patientTextRaised(tx, e.clinicId, open.id, open.clinicianId ?? clinicianId, rules, false);
      return;
    }
    const id = randomUUID();
    await tx.insert(items).values({
      id,
      clinicId: e.clinicId,
      patientId: p.patientId,
      carePlanId: plan?.id ?? null,
      clinicianId,
      kind: 'attention',
      cause: PATIENT_TEXT,
      reason: patientTextReason([p.text]),
      texts: [p.text],
      dueAt: at,
      status: 'open',
      createdAt: this.clock.now(),
    });
    await this.attention.patientTextRaised(tx, e.clinicId, id, clinicianId, rules, true);
  }

  async unreachable(tx: Executor, e: EventEnvelope<'patient.unreachable'>): Promise<void> {
    const p = e.payload;
    const at = new Date(p.at);
    const plan = await this.activePlanOf(tx, e.clinicId, p.patientId);
    await this.followUps.raise(tx, {
      plan: { id: plan?.id ?? null, clinicId: e.clinicId, patientId: p.patientId, clinicianId: plan?.clinicianId ?? null },
      kind: 'booking_task',
      cause: messageCause(p.messageId),
      reason: BOOKING_TASK_REASONS.call_patient,
      dueAt: at,
      task: { source: 'call_patient', procedureType: null, bookBy: callBookBy(at, await this.zoneOf(tx, p.patientId)) },
    });
  }

  private async activePlanOf(tx: Executor, clinicId: string, patientId: string): Promise<CarePlanRow | null> {
    const [plan] = await tx
      .select()
      .from(carePlans)
      .where(and(eq(carePlans.clinicId, clinicId), eq(carePlans.patientId, patientId), eq(carePlans.status, 'active')))
      .orderBy(desc(carePlans.procedureCompletedAt))
      .limit(1);
    return plan ?? null;
  }

  private async zoneOf(tx: Executor, patientId: string): Promise<string> {
    const [row] = await tx.select({ timezone: patients.timezone }).from(patients).where(eq(patients.id, patientId));
    return row?.timezone ?? 'UTC';
  }
}
