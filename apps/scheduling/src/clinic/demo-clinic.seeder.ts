import { DEMO } from '@aftercare/contracts';
import type { Db } from '@aftercare/database';
import type { OutboxWriter } from '@aftercare/messaging';
import { clinicians, clinics, procedureTypes, resources } from '../database/schema.js';
import type { WeeklyHours } from '../availability/slot-search.js';

const weekdays = (start: string, end: string): WeeklyHours => ({
  1: [{ start, end }],
  2: [{ start, end }],
  3: [{ start, end }],
  4: [{ start, end }],
  5: [{ start, end }],
});

/**
 * The demo clinic of PRODUCT.md ("Demo data"), outside production only. Idempotent: a clinic
 * that exists is left as it is.
 */
export async function seedDemoClinic(db: Db, outbox: OutboxWriter): Promise<boolean> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(clinics)
      .values({
        id: DEMO.clinicId,
        name: DEMO.clinicName,
        timezone: DEMO.clinicTimezone,
        phone: DEMO.clinicPhone,
        email: DEMO.clinicEmail,
        openingHours: { ...weekdays('08:00', '18:00'), 6: [{ start: '09:00', end: '13:00' }] },
      })
      .onConflictDoNothing()
      .returning({ id: clinics.id });
    if (inserted.length === 0) return false;
    await tx.insert(clinicians).values(
      DEMO.clinicians.map((c) => ({ id: c.id, clinicId: DEMO.clinicId, name: c.name, email: c.email, weeklyHours: weekdays('09:00', '17:00') })),
    );
    await tx.insert(procedureTypes).values([
      { clinicId: DEMO.clinicId, code: 'consultation', name: 'Consultation', durationMinutes: 30, bufferAfterMinutes: 0, requires: [{ category: 'consultation_room' }] },
      // Up to two hours with aspiration, centrifuging and guided injection; then clean-up. The
      // marrow is concentrated on site, so the centrifuge is held with the room.
      {
        clinicId: DEMO.clinicId,
        code: 'bmac_injection',
        name: 'BMAC injection',
        durationMinutes: 120,
        bufferAfterMinutes: 30,
        requires: [{ category: 'procedure_room', features: ['ultrasound'] }, { category: 'centrifuge' }],
      },
      { clinicId: DEMO.clinicId, code: 'follow_up_visit', name: 'Follow-up visit', durationMinutes: 30, bufferAfterMinutes: 0, requires: [{ category: 'consultation_room' }] },
    ]);
    await tx.insert(resources).values(DEMO.resources.map((r) => ({ ...r, features: [...r.features], clinicId: DEMO.clinicId })));
    await outbox.publish(
      tx,
      'clinic.upserted',
      { clinicId: DEMO.clinicId, name: DEMO.clinicName, phone: DEMO.clinicPhone, email: DEMO.clinicEmail, timezone: DEMO.clinicTimezone },
      { clinicId: DEMO.clinicId },
    );
    return true;
  });
}
