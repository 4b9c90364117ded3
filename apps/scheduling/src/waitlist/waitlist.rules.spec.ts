import { describe, expect, it } from '@jest/globals';
import { DEFAULT_QUIET_HOURS } from '@aftercare/clock';
import { candidatesForSlot, offerExpiry, type WaitingEntry } from './waitlist.rules.js';

const NY = 'America/New_York';
const entry = (id: string, over: Partial<WaitingEntry> = {}): WaitingEntry => ({
  id,
  patientId: `p-${id}`,
  clinicianId: null,
  earliestDate: '2026-12-01',
  latestDate: '2026-12-31',
  createdAt: new Date(`2026-11-0${id.length}T12:00:00Z`),
  ...over,
});

describe('candidatesForSlot', () => {
  const slot = { clinicianId: 'dr-a', startsAt: new Date('2026-12-10T15:00:00Z'), clinicTimezone: NY, releasedByPatientId: 'p-gone' };

  it('keeps first come, first served among those whose clinician and dates match', () => {
    const entries = [
      entry('late', { createdAt: new Date('2026-11-20T00:00:00Z') }),
      entry('early', { createdAt: new Date('2026-11-01T00:00:00Z') }),
      entry('other-dr', { clinicianId: 'dr-b' }),
      entry('own-dr', { clinicianId: 'dr-a', createdAt: new Date('2026-11-10T00:00:00Z') }),
      entry('too-late', { earliestDate: '2026-12-11' }),
      entry('too-early', { latestDate: '2026-12-09' }),
      entry('leaver', { patientId: 'p-gone' }),
    ];
    expect(candidatesForSlot(entries, slot).map((e) => e.id)).toEqual(['early', 'own-dr', 'late']);
  });

  it('compares dates in the clinic’s zone (late evening UTC is still the same local day)', () => {
    const evening = { ...slot, startsAt: new Date('2026-12-11T03:30:00Z') }; // 22:30 on the 10th in New York
    expect(candidatesForSlot([entry('x', { earliestDate: '2026-12-10', latestDate: '2026-12-10' })], evening)).toHaveLength(1);
  });
});

describe('offerExpiry', () => {
  const base = { offerMinutes: 120, patientTimezone: NY, quietHours: DEFAULT_QUIET_HOURS };

  it('gives the full time from now during the day', () => {
    expect(offerExpiry({ ...base, now: new Date('2026-12-01T15:00:00Z'), slotStartsAt: new Date('2026-12-03T15:00:00Z') })).toEqual(new Date('2026-12-01T17:00:00Z'));
  });

  it('counts from the end of quiet hours when the offer is made at night', () => {
    // 23:00 in New York: the SMS goes at 08:00, so the offer runs to 10:00.
    expect(offerExpiry({ ...base, now: new Date('2026-12-02T04:00:00Z'), slotStartsAt: new Date('2026-12-04T15:00:00Z') })).toEqual(new Date('2026-12-02T15:00:00Z'));
  });

  it('closes an hour before the slot, and makes no offer when too little time is left', () => {
    expect(offerExpiry({ ...base, now: new Date('2026-12-01T15:00:00Z'), slotStartsAt: new Date('2026-12-01T17:00:00Z') })).toEqual(new Date('2026-12-01T16:00:00Z'));
    expect(offerExpiry({ ...base, now: new Date('2026-12-01T15:00:00Z'), slotStartsAt: new Date('2026-12-01T16:10:00Z') })).toBeNull();
  });
});
