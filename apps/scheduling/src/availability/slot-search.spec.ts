import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import {
  type Busy,
  type ClinicianAvailability,
  type SlotSearchInput,
  type Weekday,
  type WeeklyHours,
  findSlots,
  firstFreeSlot,
  validateWeeklyHours,
} from './slot-search.js';

const NY = 'America/New_York';

/** Instant of a local wall time in `zone`, e.g. at('2025-01-06 09:00'). */
function at(local: string, zone = NY): Date {
  const dt = DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone });
  if (!dt.isValid) throw new Error(`bad test time ${local}`);
  return dt.toJSDate();
}
/** Local wall time of an instant, for readable assertions. */
function local(d: Date, zone = NY): string {
  return DateTime.fromJSDate(d, { zone }).toFormat('yyyy-MM-dd HH:mm');
}
function busy(start: string, end: string, zone = NY): Busy {
  return { start: at(start, zone), end: at(end, zone) };
}
function everyDay(start: string, end: string): WeeklyHours {
  const h: WeeklyHours = {};
  for (const wd of [1, 2, 3, 4, 5, 6, 7] as Weekday[]) h[wd] = [{ start, end }];
  return h;
}
function weekdays(start: string, end: string): WeeklyHours {
  const h: WeeklyHours = {};
  for (const wd of [1, 2, 3, 4, 5] as Weekday[]) h[wd] = [{ start, end }];
  return h;
}
function clinician(clinicianId: string, weeklyHours: WeeklyHours = everyDay('00:00', '24:00'), b: Busy[] = []): ClinicianAvailability {
  return { clinicianId, weeklyHours, busy: b };
}

// 2025-01-06 is a Monday. "now" well before the range unless a test says otherwise.
const MONDAY = '2025-01-06';
function input(over: Partial<SlotSearchInput> = {}): SlotSearchInput {
  return {
    from: at(`${MONDAY} 00:00`),
    to: at('2025-01-07 00:00'),
    now: at('2025-01-01 00:00'),
    clinicTimezone: NY,
    clinicHours: weekdays('09:00', '12:00'),
    clinicians: [clinician('c1')],
    durationMinutes: 60,
    ...over,
  };
}
const starts = (slots: { startsAt: Date }[]) => slots.map((s) => local(s.startsAt).slice(11));

describe('findSlots — basics', () => {
  it('offers every grid start whose whole duration fits in the hours', () => {
    const slots = findSlots(input());
    expect(starts(slots)).toEqual(['09:00', '09:15', '09:30', '09:45', '10:00', '10:15', '10:30', '10:45', '11:00']);
    expect(slots[0]).toEqual({ clinicianId: 'c1', startsAt: at(`${MONDAY} 09:00`), endsAt: at(`${MONDAY} 10:00`), resourceIds: [] });
  });

  it('uses only the intersection of clinic and clinician hours', () => {
    const slots = findSlots(
      input({ clinicHours: weekdays('08:00', '18:00'), clinicians: [clinician('c1', weekdays('10:00', '13:00'))] }),
    );
    expect(starts(slots)).toEqual(['10:00', '10:15', '10:30', '10:45', '11:00', '11:15', '11:30', '11:45', '12:00']);
  });

  it('does not let a slot span a gap between intervals, but does span touching intervals', () => {
    const gap: WeeklyHours = { 1: [{ start: '09:00', end: '10:00' }, { start: '10:30', end: '12:00' }] };
    expect(starts(findSlots(input({ clinicians: [clinician('c1', gap)] })))).toEqual(['09:00', '10:30', '10:45', '11:00']);
    const touching: WeeklyHours = { 1: [{ start: '09:00', end: '10:00' }, { start: '10:00', end: '11:00' }] };
    expect(starts(findSlots(input({ clinicians: [clinician('c1', touching)] })))).toEqual(['09:00', '09:15', '09:30', '09:45', '10:00']);
  });

  it('returns nothing for an empty or inverted range', () => {
    expect(findSlots(input({ to: at(`${MONDAY} 00:00`) }))).toEqual([]);
    expect(findSlots(input({ from: at('2025-01-07 00:00'), to: at(`${MONDAY} 00:00`) }))).toEqual([]);
  });

  it('constrains only the start to [from, to)', () => {
    const slots = findSlots(input({ from: at(`${MONDAY} 10:00`), to: at(`${MONDAY} 10:30`) }));
    expect(starts(slots)).toEqual(['10:00', '10:15']); // 10:15 ends at 11:15, past `to`: fine
  });
});

describe('findSlots — booked time is never offered', () => {
  it('skips every start overlapping an appointment, treating intervals as half-open', () => {
    const slots = findSlots(input({ clinicians: [clinician('c1', undefined, [busy(`${MONDAY} 10:00`, `${MONDAY} 11:00`)])] }));
    // 09:00–10:00 touches the appointment but does not overlap; 11:00 starts as it ends.
    expect(starts(slots)).toEqual(['09:00', '11:00']);
  });

  it('skips starts that overlap only partially', () => {
    const slots = findSlots(
      input({ durationMinutes: 30, clinicians: [clinician('c1', undefined, [busy(`${MONDAY} 10:20`, `${MONDAY} 10:40`)])] }),
    );
    const s = starts(slots);
    expect(s).toContain('09:45'); // ends 10:15
    expect(s).not.toContain('10:00'); // 10:00–10:30 overlaps 10:20–10:40 at its end
    expect(s).not.toContain('10:15');
    expect(s).not.toContain('10:30'); // 10:30–11:00 overlaps at its start
    expect(s).toContain('10:45');
  });

  it('skips starts whose buffer-after would run into an appointment', () => {
    const slots = findSlots(
      input({
        durationMinutes: 30,
        bufferAfterMinutes: 15,
        clinicians: [clinician('c1', undefined, [busy(`${MONDAY} 10:00`, `${MONDAY} 11:00`)])],
      }),
    );
    const s = starts(slots);
    expect(s).toContain('09:15'); // 09:15–09:45 + buffer to 10:00: touches, ok
    expect(s).not.toContain('09:30'); // buffer 10:00–10:15 overlaps
    expect(s).toContain('11:00');
    // The slot itself is 30 minutes: the buffer is not part of the patient's appointment.
    expect(slots[0]!.endsAt.getTime() - slots[0]!.startsAt.getTime()).toBe(30 * 60_000);
  });

  it('lets the buffer run past closing time (clean-up after the last patient)', () => {
    const s = starts(findSlots(input({ bufferAfterMinutes: 30 })));
    expect(s[s.length - 1]).toBe('11:00');
  });

  it('never offers a slot that overlaps any of many appointments', () => {
    const appts = [busy(`${MONDAY} 09:10`, `${MONDAY} 09:20`), busy(`${MONDAY} 10:05`, `${MONDAY} 10:50`), busy(`${MONDAY} 11:40`, `${MONDAY} 11:45`)];
    const slots = findSlots(input({ durationMinutes: 20, bufferAfterMinutes: 5, gridMinutes: 5, clinicians: [clinician('c1', undefined, appts)] }));
    expect(slots.length).toBeGreaterThan(0);
    for (const slot of slots) {
      const end = slot.endsAt.getTime() + 5 * 60_000;
      for (const b of appts) expect(slot.startsAt < b.end && end > b.start.getTime()).toBe(false);
    }
  });
});

describe('findSlots — closed days, days off, closures, patient busy', () => {
  const week = { from: at('2025-01-06 00:00'), to: at('2025-01-13 00:00') };
  const days = (slots: { startsAt: Date }[]) => [...new Set(slots.map((s) => local(s.startsAt).slice(0, 10)))];

  it('offers nothing on days the clinic is closed even if the clinician works', () => {
    const slots = findSlots(input({ ...week, clinicians: [clinician('c1', everyDay('09:00', '12:00'))] }));
    expect(days(slots)).toEqual(['2025-01-06', '2025-01-07', '2025-01-08', '2025-01-09', '2025-01-10']);
  });

  it("offers nothing on a clinician's day off, while others are still bookable", () => {
    const noTuesday = weekdays('09:00', '12:00');
    delete noTuesday[2];
    const slots = findSlots(input({ ...week, clinicians: [clinician('c1', noTuesday), clinician('c2')] }));
    const tuesday = slots.filter((s) => local(s.startsAt).startsWith('2025-01-07'));
    expect(tuesday.length).toBeGreaterThan(0);
    expect(tuesday.every((s) => s.clinicianId === 'c2')).toBe(true);
  });

  it('honours whole-day and partial clinic closures for every clinician, buffer included', () => {
    const slots = findSlots(
      input({
        ...week,
        bufferAfterMinutes: 15,
        closures: [busy('2025-01-08 00:00', '2025-01-09 00:00'), busy('2025-01-09 10:00', '2025-01-10 00:00')],
        clinicians: [clinician('c1'), clinician('c2')],
      }),
    );
    expect(days(slots)).toEqual(['2025-01-06', '2025-01-07', '2025-01-10']);
    const thursday = slots.filter((s) => local(s.startsAt).startsWith('2025-01-09'));
    // 09:00–10:00 itself fits before the 10:00 closure, but its 15-minute buffer would run into it.
    expect(thursday).toEqual([]);
  });

  it("never offers a slot overlapping the patient's own appointments, with any clinician", () => {
    const slots = findSlots(
      input({
        bufferAfterMinutes: 30,
        patientBusy: [busy(`${MONDAY} 10:00`, `${MONDAY} 10:30`)],
        clinicians: [clinician('c1'), clinician('c2')],
      }),
    );
    const s = [...new Set(starts(slots))];
    // The patient's own interval blocks [s, s+60) only; the clinician's buffer is not the patient's concern.
    expect(s).toEqual(['09:00', '10:30', '10:45', '11:00']);
    expect(slots.filter((x) => local(x.startsAt).endsWith('09:00')).map((x) => x.clinicianId)).toEqual(['c1', 'c2']);
  });
});

describe('findSlots — now, notice and grid', () => {
  it('never offers past times, and rounds "now" up to the next grid line', () => {
    const s = starts(findSlots(input({ now: at(`${MONDAY} 10:07`) })));
    expect(s[0]).toBe('10:15');
  });

  it('applies minimum notice on top of now', () => {
    const s = starts(findSlots(input({ now: at(`${MONDAY} 09:07`), minNoticeMinutes: 60 })));
    expect(s[0]).toBe('10:15');
  });

  it('offers nothing when now is after the range', () => {
    expect(findSlots(input({ now: at('2025-02-01 00:00') }))).toEqual([]);
  });

  it('starts slots on local multiples of the grid, not at the opening time', () => {
    const hours: WeeklyHours = { 1: [{ start: '09:10', end: '11:00' }] };
    expect(starts(findSlots(input({ clinicians: [clinician('c1', hours)] })))).toEqual(['09:15', '09:30', '09:45', '10:00']);
    expect(starts(findSlots(input({ gridMinutes: 30, clinicians: [clinician('c1', hours)] })))).toEqual(['09:30', '10:00']);
    expect(starts(findSlots(input({ gridMinutes: 20, durationMinutes: 20, clinicians: [clinician('c1', hours)] })))).toEqual([
      '09:20',
      '09:40',
      '10:00',
      '10:20',
      '10:40',
    ]);
  });

  it('keeps the grid local in a zone with a half-hour UTC offset', () => {
    const zone = 'Asia/Kolkata'; // UTC+05:30: a UTC grid would give 09:00 + :30 misalignment
    const slots = findSlots(
      input({
        clinicTimezone: zone,
        from: at(`${MONDAY} 00:00`, zone),
        to: at('2025-01-07 00:00', zone),
        gridMinutes: 60,
      }),
    );
    expect(slots.map((s) => local(s.startsAt, zone).slice(11))).toEqual(['09:00', '10:00', '11:00']);
  });

  it('jumps back onto the grid after an appointment ending off-grid', () => {
    const slots = findSlots(input({ clinicians: [clinician('c1', undefined, [busy(`${MONDAY} 09:00`, `${MONDAY} 09:50`)])] }));
    expect(starts(slots)[0]).toBe('10:00');
  });
});

describe('findSlots — daylight saving time', () => {
  const allDay = (h: WeeklyHours) => ({ clinicHours: h, clinicians: [clinician('c1', h)] });
  const firstPerDay = (slots: { startsAt: Date }[]) => {
    const seen = new Map<string, Date>();
    for (const s of slots) {
      const day = local(s.startsAt).slice(0, 10);
      if (!seen.has(day)) seen.set(day, s.startsAt);
    }
    return seen;
  };

  it('spring forward (2025-03-09): 09:00 local on both sides, at different UTC instants', () => {
    const slots = findSlots(input({ ...allDay(everyDay('09:00', '17:00')), from: at('2025-03-08 00:00'), to: at('2025-03-11 00:00') }));
    const first = firstPerDay(slots);
    expect(first.get('2025-03-08')!.toISOString()).toBe('2025-03-08T14:00:00.000Z'); // EST
    expect(first.get('2025-03-09')!.toISOString()).toBe('2025-03-09T13:00:00.000Z'); // EDT
    expect(first.get('2025-03-10')!.toISOString()).toBe('2025-03-10T13:00:00.000Z');
    // Same number of slots every day: 09:00..16:00 every 15 minutes.
    for (const day of ['2025-03-08', '2025-03-09', '2025-03-10']) {
      expect(slots.filter((s) => local(s.startsAt).startsWith(day))).toHaveLength(29);
    }
  });

  it('fall back (2025-11-02): 09:00 local on both sides, at different UTC instants', () => {
    const slots = findSlots(input({ ...allDay(everyDay('09:00', '17:00')), from: at('2025-11-01 00:00'), to: at('2025-11-04 00:00') }));
    const first = firstPerDay(slots);
    expect(first.get('2025-11-01')!.toISOString()).toBe('2025-11-01T13:00:00.000Z'); // EDT
    expect(first.get('2025-11-02')!.toISOString()).toBe('2025-11-02T14:00:00.000Z'); // EST
    expect(slots.filter((s) => local(s.startsAt).startsWith('2025-11-02'))).toHaveLength(29);
    const last = slots.filter((s) => local(s.startsAt).startsWith('2025-11-02')).pop()!;
    expect(local(last.endsAt)).toBe('2025-11-02 17:00');
  });

  it('skips the nonexistent hour and keeps real durations across the gap', () => {
    const h: WeeklyHours = { 7: [{ start: '00:00', end: '04:00' }] };
    const slots = findSlots(input({ ...allDay(h), gridMinutes: 30, from: at('2025-03-09 00:00'), to: at('2025-03-10 00:00') }));
    expect(starts(slots)).toEqual(['00:00', '00:30', '01:00', '01:30', '03:00']);
    // 01:30 EST + 60 real minutes = 03:30 EDT.
    expect(local(slots[3]!.endsAt)).toBe('2025-03-09 03:30');
    // Only 3 real hours in that window: no slot may end after 04:00 local.
    expect(slots.every((s) => s.endsAt <= at('2025-03-09 04:00'))).toBe(true);
  });

  it('opens at the jump when hours start inside the skipped hour', () => {
    const h: WeeklyHours = { 7: [{ start: '02:30', end: '05:00' }] };
    const slots = findSlots(input({ ...allDay(h), from: at('2025-03-09 00:00'), to: at('2025-03-10 00:00') }));
    expect(slots[0]!.startsAt.toISOString()).toBe('2025-03-09T07:00:00.000Z'); // 03:00 EDT
  });

  it('offers the repeated hour twice (distinct instants) on fall-back night', () => {
    const h: WeeklyHours = { 7: [{ start: '00:00', end: '03:00' }] };
    const slots = findSlots(input({ ...allDay(h), gridMinutes: 30, from: at('2025-11-02 00:00'), to: at('2025-11-03 00:00') }));
    // 00:00 EDT (04:00Z) to 03:00 EST (08:00Z) is 4 real hours.
    expect(slots.map((s) => s.startsAt.toISOString())).toEqual([
      '2025-11-02T04:00:00.000Z', // 00:00 EDT
      '2025-11-02T04:30:00.000Z',
      '2025-11-02T05:00:00.000Z', // 01:00 EDT
      '2025-11-02T05:30:00.000Z',
      '2025-11-02T06:00:00.000Z', // 01:00 EST (again)
      '2025-11-02T06:30:00.000Z',
      '2025-11-02T07:00:00.000Z', // 02:00 EST, ends 03:00 EST
    ]);
  });
});

describe('findSlots — multiple clinicians and limit', () => {
  it('merges clinicians sorted by start, then clinicianId', () => {
    const slots = findSlots(
      input({
        durationMinutes: 90,
        gridMinutes: 30,
        clinicians: [
          clinician('c2'),
          clinician('c1', undefined, [busy(`${MONDAY} 09:00`, `${MONDAY} 10:00`)]),
          clinician('c3', weekdays('10:00', '11:30')),
        ],
      }),
    );
    expect(slots.map((s) => `${local(s.startsAt).slice(11)} ${s.clinicianId}`)).toEqual([
      '09:00 c2',
      '09:30 c2',
      '10:00 c1',
      '10:00 c2',
      '10:00 c3',
      '10:30 c1',
      '10:30 c2',
    ]);
  });

  it('returns at most `limit` slots, the earliest ones', () => {
    const all = findSlots(input({ to: at('2025-01-11 00:00'), clinicians: [clinician('b'), clinician('a')] }));
    const some = findSlots(input({ to: at('2025-01-11 00:00'), clinicians: [clinician('b'), clinician('a')], limit: 3 }));
    expect(some).toEqual(all.slice(0, 3));
    expect(some.map((s) => s.clinicianId)).toEqual(['a', 'b', 'a']);
    expect(findSlots(input({ limit: 0 }))).toEqual([]);
  });

  it('defaults the limit to 500', () => {
    const slots = findSlots(input({ to: at('2025-03-01 00:00'), clinicians: [clinician('a'), clinician('b'), clinician('c')] }));
    expect(slots).toHaveLength(500);
  });
});

describe('findSlots — rooms and equipment', () => {
  const room = (resourceId: string, b: Busy[] = []) => ({ resourceId, busy: b });

  it('offers a slot only when every needed resource is free, buffer included, and says which', () => {
    const slots = findSlots(
      input({
        bufferAfterMinutes: 30,
        resourceNeeds: [
          { candidates: [room('procedure-room', [busy(`${MONDAY} 09:00`, `${MONDAY} 10:00`)])] },
          { candidates: [room('centrifuge', [busy(`${MONDAY} 10:15`, `${MONDAY} 10:30`)])] },
        ],
      }),
    );
    // 09:00–10:00 the room is busy; 10:00 and 10:15 starts (with their buffer) would need the
    // centrifuge while it is busy 10:15–10:30; from 10:30 both are free until closing.
    expect(starts(slots)).toEqual(['10:30', '10:45', '11:00']);
    expect(slots[0]!.resourceIds).toEqual(['procedure-room', 'centrifuge']);
  });

  it('takes the next candidate when the first is busy (either consultation room)', () => {
    const slots = findSlots(
      input({
        clinicHours: weekdays('09:00', '10:00'),
        resourceNeeds: [{ candidates: [room('room-1', [busy(`${MONDAY} 09:00`, `${MONDAY} 09:30`)]), room('room-2')] }],
      }),
    );
    expect(slots.map((x) => [local(x.startsAt).slice(11), x.resourceIds[0]])).toEqual([['09:00', 'room-2']]);
  });

  it('never gives one resource to two needs of the same slot', () => {
    const both = [room('room-1'), room('room-2')];
    expect(findSlots(input({ resourceNeeds: [{ candidates: both }, { candidates: both }] }))[0]!.resourceIds).toEqual(['room-1', 'room-2']);
    expect(findSlots(input({ resourceNeeds: [{ candidates: [room('room-1')] }, { candidates: [room('room-1')] }] }))).toEqual([]);
  });

  it('offers nothing when the clinic has no resource of a needed kind', () => {
    expect(findSlots(input({ resourceNeeds: [{ candidates: [] }] }))).toEqual([]);
  });

  it('a busy resource blocks every clinician alike', () => {
    const slots = findSlots(
      input({
        clinicHours: weekdays('09:00', '11:00'),
        clinicians: [clinician('c1'), clinician('c2')],
        resourceNeeds: [{ candidates: [room('procedure-room', [busy(`${MONDAY} 09:00`, `${MONDAY} 10:00`)])] }],
      }),
    );
    expect(slots.map((x) => `${local(x.startsAt).slice(11)} ${x.clinicianId}`)).toEqual(['10:00 c1', '10:00 c2']);
  });
});

describe('firstFreeSlot', () => {
  // Procedure on Monday 2025-01-06; follow-up window is days 12–16: Sat 01-18 .. Wed 01-22 (end exclusive 01-23).
  const window = { from: at('2025-01-18 00:00'), to: at('2025-01-23 00:00') };

  it('finds the first free slot of the window, skipping fully booked days', () => {
    const c = clinician('c1', weekdays('09:00', '12:00'), [busy('2025-01-20 09:00', '2025-01-20 12:00'), busy('2025-01-21 09:00', '2025-01-21 10:30')]);
    const slot = firstFreeSlot(input({ ...window, durationMinutes: 30, clinicians: [c] }));
    expect(slot).toEqual({ clinicianId: 'c1', startsAt: at('2025-01-21 10:30'), endsAt: at('2025-01-21 11:00'), resourceIds: [] });
  });

  it('returns null when the window has no free slot', () => {
    const c = clinician('c1', weekdays('09:00', '12:00'), [busy('2025-01-18 00:00', '2025-01-23 00:00')]);
    expect(firstFreeSlot(input({ ...window, clinicians: [c] }))).toBeNull();
  });

  it('considers the patient and the buffer too', () => {
    const c = clinician('c1', weekdays('09:00', '12:00'), [busy('2025-01-20 10:00', '2025-01-20 12:00')]);
    const slot = firstFreeSlot(
      input({ ...window, durationMinutes: 30, bufferAfterMinutes: 15, patientBusy: [busy('2025-01-20 09:00', '2025-01-20 09:15')], clinicians: [c] }),
    );
    // 09:15–09:45 + buffer to 10:00 just fits.
    expect(slot && local(slot.startsAt)).toBe('2025-01-20 09:15');
  });
});

describe('validateWeeklyHours', () => {
  it('accepts well-formed hours, including 24:00 as an end and touching intervals', () => {
    expect(validateWeeklyHours({})).toEqual([]);
    expect(validateWeeklyHours({ 1: [{ start: '09:00', end: '12:00' }, { start: '12:00', end: '24:00' }], 7: [] })).toEqual([]);
  });

  it('reports malformed times, empty or midnight-crossing intervals, overlaps and bad weekdays', () => {
    const problems = validateWeeklyHours({
      1: [{ start: '9:00', end: '12:00' }],
      2: [{ start: '22:00', end: '02:00' }],
      3: [{ start: '10:00', end: '10:00' }],
      4: [{ start: '09:00', end: '12:00' }, { start: '11:00', end: '13:00' }],
      5: [{ start: '24:00', end: '24:00' }, { start: '08:00', end: '25:00' }],
      ...({ 8: [{ start: '09:00', end: '10:00' }] } as WeeklyHours),
    });
    expect(problems).toHaveLength(7);
    expect(problems.join('\n')).toMatch(/weekday 1.*start must be 'HH:mm'/);
    expect(problems.join('\n')).toMatch(/weekday 2.*may not cross midnight/);
    expect(problems.join('\n')).toMatch(/weekday 3.*end must be after start/);
    expect(problems.join('\n')).toMatch(/weekday 4.*overlaps/);
    expect(problems.join('\n')).toMatch(/weekday 5.*start cannot be 24:00/);
    expect(problems.join('\n')).toMatch(/weekday "8": not a weekday/);
  });
});

describe('findSlots — input errors', () => {
  it('throws on configuration or programming errors instead of returning "no slots"', () => {
    expect(() => findSlots(input({ clinicTimezone: 'Mars/Olympus' }))).toThrow(/time zone/);
    expect(() => findSlots(input({ durationMinutes: 0 }))).toThrow(/durationMinutes/);
    expect(() => findSlots(input({ gridMinutes: 0 }))).toThrow(/gridMinutes/);
    expect(() => findSlots(input({ from: new Date('nope') }))).toThrow(/from/);
    expect(() => findSlots(input({ clinicians: [clinician('c9', { 1: [{ start: '12:00', end: '09:00' }] })] }))).toThrow(/clinician c9/);
  });
});

describe('findSlots — cross-check and performance', () => {
  // Tiny deterministic PRNG so failures are reproducible.
  function rng(seed: number) {
    return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  }

  /**
   * Brute force over every minute, written independently with luxon. Used in a zone without DST
   * (Asia/Kolkata, +05:30), so wall-clock containment can be checked simply on minutes of the day.
   */
  function bruteForce(inp: SlotSearchInput) {
    const zone = inp.clinicTimezone;
    const grid = inp.gridMinutes ?? 15;
    const dur = inp.durationMinutes * 60_000;
    const buf = (inp.bufferAfterMinutes ?? 0) * 60_000;
    const lo = Math.max(inp.from.getTime(), inp.now.getTime() + (inp.minNoticeMinutes ?? 0) * 60_000);
    const overlaps = (list: Busy[], s: number, e: number) => list.some((b) => b.start.getTime() < e && b.end.getTime() > s);
    const inside = (h: WeeklyHours, wd: Weekday, a: number, b: number) => {
      const toMin = (x: string) => Number(x.slice(0, 2)) * 60 + Number(x.slice(3));
      // Touching intervals count as continuous.
      let covered = a;
      for (const iv of [...(h[wd] ?? [])].sort((x, y) => toMin(x.start) - toMin(y.start))) {
        if (toMin(iv.start) <= covered && toMin(iv.end) > covered) covered = toMin(iv.end);
      }
      return covered >= b;
    };
    const out: { clinicianId: string; startsAt: Date; endsAt: Date; resourceIds: string[] }[] = [];
    for (let t = Math.ceil(lo / 60_000) * 60_000; t < inp.to.getTime(); t += 60_000) {
      const dt = DateTime.fromMillis(t, { zone });
      const m = dt.hour * 60 + dt.minute;
      if (m % grid !== 0) continue;
      const wd = dt.weekday as Weekday;
      if (m + inp.durationMinutes > 1440) continue;
      for (const c of [...inp.clinicians].sort((a, b) => (a.clinicianId < b.clinicianId ? -1 : 1))) {
        if (!inside(inp.clinicHours, wd, m, m + inp.durationMinutes)) continue;
        if (!inside(c.weeklyHours, wd, m, m + inp.durationMinutes)) continue;
        if (overlaps([...c.busy, ...(inp.closures ?? [])], t, t + dur + buf)) continue;
        if (overlaps(inp.patientBusy ?? [], t, t + dur)) continue;
        const resourceIds: string[] = [];
        const allMet = (inp.resourceNeeds ?? []).every((need) => {
          const free = need.candidates.find((r) => !resourceIds.includes(r.resourceId) && !overlaps(r.busy, t, t + dur + buf));
          if (free) resourceIds.push(free.resourceId);
          return free !== undefined;
        });
        if (!allMet) continue;
        out.push({ clinicianId: c.clinicianId, startsAt: new Date(t), endsAt: new Date(t + dur), resourceIds });
      }
    }
    return out;
  }

  it('agrees with a brute-force search on random schedules', () => {
    const zone = 'Asia/Kolkata';
    const r = rng(42);
    const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
    const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const randomHours = (): WeeklyHours => {
      const h: WeeklyHours = {};
      for (const wd of [1, 2, 3, 4, 5, 6, 7] as Weekday[]) {
        if (r() < 0.2) continue;
        const a = 6 * 60 + Math.floor(r() * 16) * 15;
        const b = a + 60 + Math.floor(r() * 12) * 15;
        const c = b + Math.floor(r() * 3) * 30;
        const d = Math.min(c + 60 + Math.floor(r() * 16) * 15, 1440);
        h[wd] = c < d ? [{ start: hhmm(a), end: hhmm(b) }, { start: hhmm(c), end: hhmm(d) }] : [{ start: hhmm(a), end: hhmm(b) }];
      }
      return h;
    };
    const base = DateTime.fromISO('2025-02-03T00:00', { zone }).toMillis();
    const randomBusy = (n: number, maxLen: number): Busy[] =>
      Array.from({ length: n }, () => {
        const s = base + Math.floor(r() * 7 * 24 * 60) * 60_000 + Math.floor(r() * 60) * 1000;
        return { start: new Date(s), end: new Date(s + (1 + Math.floor(r() * maxLen)) * 60_000) };
      });

    for (let round = 0; round < 25; round++) {
      const inp: SlotSearchInput = {
        from: new Date(base + Math.floor(r() * 24 * 60) * 60_000),
        to: new Date(base + 7 * 86_400_000 - Math.floor(r() * 24 * 60) * 60_000),
        now: new Date(base + Math.floor(r() * 2 * 24 * 60) * 60_000 + 1234),
        clinicTimezone: zone,
        clinicHours: randomHours(),
        closures: randomBusy(pick([0, 1, 2]), 600),
        clinicians: Array.from({ length: pick([1, 2, 3]) }, (_, i) => clinician(`c${i}`, randomHours(), randomBusy(pick([0, 5, 15]), 120))),
        patientBusy: randomBusy(pick([0, 2, 4]), 90),
        // Two rooms that either need may take, and a machine of its own: exercises picking
        // distinct resources and skipping past busy ones.
        resourceNeeds: pick([
          [],
          [{ candidates: [{ resourceId: 'room-a', busy: randomBusy(8, 120) }, { resourceId: 'room-b', busy: randomBusy(8, 120) }] }],
          [
            { candidates: [{ resourceId: 'room-a', busy: randomBusy(6, 120) }, { resourceId: 'room-b', busy: randomBusy(6, 120) }] },
            { candidates: [{ resourceId: 'room-b', busy: randomBusy(6, 120) }, { resourceId: 'room-a', busy: randomBusy(6, 120) }] },
            { candidates: [{ resourceId: 'centrifuge', busy: randomBusy(10, 90) }] },
          ],
        ]),
        durationMinutes: pick([15, 20, 30, 45, 60, 90]),
        bufferAfterMinutes: pick([0, 0, 10, 15, 30]),
        gridMinutes: pick([5, 10, 15, 30]),
        minNoticeMinutes: pick([0, 30, 120]),
        limit: Number.POSITIVE_INFINITY,
      };
      expect(findSlots(inp)).toEqual(bruteForce(inp));
    }
  });

  it('handles 4 weeks × 10 clinicians with busy calendars quickly', () => {
    const from = at('2025-03-03 00:00');
    const clinicians = Array.from({ length: 10 }, (_, i) => {
      const b: Busy[] = [];
      for (let d = 0; d < 28; d++) {
        for (let k = 0; k < 6; k++) {
          const s = from.getTime() + d * 86_400_000 + (13 + k + (i % 3) * 0.25) * 3_600_000; // spread over the working day
          b.push({ start: new Date(s), end: new Date(s + 45 * 60_000) });
        }
      }
      return clinician(`c${String(i).padStart(2, '0')}`, weekdays('08:00', '18:00'), b);
    });
    const slots = findSlots({
      from,
      to: new Date(from.getTime() + 28 * 86_400_000),
      now: from,
      clinicTimezone: NY,
      clinicHours: weekdays('07:00', '19:00'),
      clinicians,
      durationMinutes: 30,
      bufferAfterMinutes: 10,
      gridMinutes: 5,
      limit: Number.POSITIVE_INFINITY,
    });
    // Speed is measured in bench/, not asserted here; this checks a large search stays ordered.
    expect(slots.length).toBeGreaterThan(1000);
    // Sorted by start, then clinicianId.
    const unsorted = slots.findIndex(
      (b, i) => i > 0 && !(slots[i - 1]!.startsAt < b.startsAt || (+slots[i - 1]!.startsAt === +b.startsAt && slots[i - 1]!.clinicianId < b.clinicianId)),
    );
    expect(unsorted).toBe(-1);
  });
});
