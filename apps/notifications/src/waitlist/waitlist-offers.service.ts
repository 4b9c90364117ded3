import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, gt, ne } from 'drizzle-orm';
import type { EventEnvelope, EventPayloads } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { OutboxWriter } from '@aftercare/messaging';
import { waitlistOffers, type WaitlistOfferRow } from '../database/schema.js';
import type { Outcome } from '../messages/appointment-messages.service.js';
import { MessagesService } from '../messages/messages.service.js';
import type { MessageKind } from '../templates/message.templates.js';

/** What the patient hears when an offer they received closes without them getting the time. */
const CLOSED_MESSAGE: Partial<Record<EventPayloads['waitlist.offer-closed']['reason'], MessageKind>> = {
  taken: 'waitlist_taken',
  expired: 'waitlist_expired',
  // booked: the booking confirmation follows as appointment.booked; withdrawn: the front desk
  // cancelled the waitlist entry and has told the patient.
};

/**
 * Waitlist offers as the patient sees them: the offer text (a freed time, answer YES), the
 * YES that accepts it, and the word that it has gone. Scheduling owns the offers; this is
 * notifications' copy, kept from its events.
 */
@Injectable()
export class WaitlistOffersService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly outbox: OutboxWriter,
    private readonly messages: MessagesService,
  ) {}

  async offered(tx: Executor, e: EventEnvelope<'waitlist.offered'>): Promise<Outcome> {
    const p = e.payload;
    await tx
      .insert(waitlistOffers)
      .values({
        id: p.offerId,
        clinicId: e.clinicId,
        entryId: p.entryId,
        patientId: p.patientId,
        clinicianId: p.clinicianId,
        clinicianName: p.clinicianName,
        startsAt: new Date(p.startsAt),
        endsAt: new Date(p.endsAt),
        expiresAt: new Date(p.expiresAt),
        status: 'pending',
        createdAt: this.clock.now(),
      })
      .onConflictDoNothing({ target: waitlistOffers.id });
    const offer = await this.offer(p.offerId, tx);
    if (!offer || offer.status !== 'pending') return { created: [], cancelled: [] };
    // Quiet hours hold it like any other text; should it still be held when the offer runs
    // out, it is not sent at all (the sender checks the offer when it wakes).
    const created = await this.messages.compose(tx, {
      clinicId: e.clinicId,
      patientId: p.patientId,
      kind: 'waitlist_offer',
      sendAt: this.clock.now(),
      cause: `waitlist-offer:${p.offerId}`,
      offer,
      respectQuietHours: true,
    });
    return { created, cancelled: [] };
  }

  async closed(tx: Executor, e: EventEnvelope<'waitlist.offer-closed'>): Promise<Outcome> {
    const p = e.payload;
    // A YES taken here in time (the copy is `accepted`) wins in scheduling even when its expiry
    // job ran first: that expiry is not the end, scheduling's answer to the YES is (booked, or
    // taken by someone faster). The patient hears no "expired" before their confirmation.
    const [offer] = await tx
      .update(waitlistOffers)
      .set({ status: p.reason, appointmentId: p.appointmentId, closedAt: this.clock.now() })
      .where(and(eq(waitlistOffers.id, p.offerId), p.reason === 'expired' ? ne(waitlistOffers.status, 'accepted') : undefined))
      .returning();
    if (!offer) return { created: [], cancelled: [] };
    const cancelled = await this.messages.cancelPendingForOffer(tx, p.offerId);
    const kind = CLOSED_MESSAGE[p.reason];
    // Only a patient who got the offer is told that it is over.
    if (!kind || !(await this.messages.offerWentOut(tx, p.offerId))) return { created: [], cancelled };
    const created = await this.messages.compose(tx, {
      clinicId: e.clinicId,
      patientId: p.patientId,
      kind,
      sendAt: this.clock.now(),
      cause: `waitlist-offer:${p.offerId}:closed`,
      offer,
      respectQuietHours: true,
    });
    return { created, cancelled };
  }

  /** The patient's offer that a YES now answers: still pending and not run out by the clock. */
  async openOfferFor(patientId: string, tx: Executor = this.db): Promise<WaitlistOfferRow | null> {
    const [row] = await tx
      .select()
      .from(waitlistOffers)
      .where(and(eq(waitlistOffers.patientId, patientId), eq(waitlistOffers.status, 'pending'), gt(waitlistOffers.expiresAt, this.clock.now())))
      .orderBy(desc(waitlistOffers.createdAt))
      .limit(1)
      .for('update');
    return row ?? null;
  }

  /** YES: scheduling books the time if it still can (and says so with appointment.booked). */
  async accept(tx: Executor, offer: WaitlistOfferRow, messageId: string): Promise<void> {
    const now = this.clock.now();
    await tx.update(waitlistOffers).set({ status: 'accepted', acceptedMessageId: messageId, acceptedAt: now }).where(eq(waitlistOffers.id, offer.id));
    await this.outbox.publish(
      tx,
      'waitlist.offer-accepted',
      { offerId: offer.id, patientId: offer.patientId, messageId, at: now.toISOString() },
      { clinicId: offer.clinicId },
    );
  }

  async offer(id: string, tx: Executor = this.db): Promise<WaitlistOfferRow | null> {
    const [row] = await tx.select().from(waitlistOffers).where(eq(waitlistOffers.id, id));
    return row ?? null;
  }
}
