import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { PATTERNS, type ClinicianDetailResource, type EventEnvelope, type RequestContext } from '@aftercare/contracts';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { Clock } from '@aftercare/clock';
import type { Executor } from '@aftercare/database';
import { DomainError, ServiceClient } from '@aftercare/messaging';
import { messages, type MessageRow } from '../database/schema.js';
import { DirectoryService } from '../directory/directory.service.js';
import { attentionAlertEmail } from './attention-alert.js';

/** E-mails to staff (a clinician's attention alert): written as message rows, sent by the ordinary sender. */
@Injectable()
export class StaffAlertsService {
  private readonly logger = new Logger('StaffAlerts');
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly services: ServiceClient,
    private readonly directory: DirectoryService,
  ) {}

  /** The clinician's address (scheduling owns clinicians); null when there is none to write to. */
  async clinicianAddress(e: EventEnvelope<'follow-up.attention-raised'>): Promise<string | null> {
    const ctx: RequestContext = { clinicId: e.clinicId, userId: null, role: 'system', clinicianId: null, correlationId: e.correlationId };
    try {
      const clinician = await this.services.send<ClinicianDetailResource>(PATTERNS.scheduling.cliniciansGet, { ctx, data: { id: e.payload.clinicianId } });
      return clinician.active && clinician.email ? clinician.email : null;
    } catch (error) {
      if (error instanceof DomainError && error.statusCode === 404) return null;
      throw error; // scheduling not answering: the event comes again
    }
  }

  /** One alert per item however often the event comes (dedupe key). */
  async composeAttentionAlert(tx: Executor, e: EventEnvelope<'follow-up.attention-raised'>, to: string | null): Promise<MessageRow[]> {
    if (!to) {
      this.logger.log(`no alert for item ${e.payload.itemId}: clinician ${e.payload.clinicianId} has no e-mail address or is inactive`);
      return [];
    }
    const clinic = await this.directory.clinic(e.clinicId, tx);
    const email = attentionAlertEmail({ itemId: e.payload.itemId, cause: e.payload.cause, clinicName: clinic?.name ?? null, publicUrl: this.config.publicUrl });
    const now = this.clock.now();
    return tx
      .insert(messages)
      .values({
        id: randomUUID(),
        clinicId: e.clinicId,
        patientId: null,
        channel: 'email',
        direction: 'outbound',
        kind: 'clinician_alert',
        status: 'scheduled',
        subject: email.subject,
        body: email.body,
        toAddress: to,
        sendAt: now,
        dedupeKey: `attention-alert:${e.payload.itemId}:email`,
        createdAt: now,
      })
      .onConflictDoNothing({ target: messages.dedupeKey })
      .returning();
  }
}
