import { describe, expect, it } from '@jest/globals';
import { closureRange } from './clinic-setup.service.js';

describe('closureRange', () => {
  it('turns whole local days into instants, 23 hours on the spring DST day', () => {
    const { startsAt, endsAt } = closureRange({ date: '2027-03-14', reason: 'Holiday' }, 'America/New_York');
    expect(startsAt.toISOString()).toBe('2027-03-14T05:00:00.000Z');
    expect(endsAt.toISOString()).toBe('2027-03-15T04:00:00.000Z');
  });

  it('covers several days through throughDate', () => {
    const { startsAt, endsAt } = closureRange({ date: '2026-12-24', throughDate: '2026-12-26', reason: 'Holidays' }, 'Europe/Madrid');
    expect(startsAt.toISOString()).toBe('2026-12-23T23:00:00.000Z');
    expect(endsAt.toISOString()).toBe('2026-12-26T23:00:00.000Z');
  });

  it('refuses a range that ends before it starts, or half a range, naming the field', () => {
    expect(() => closureRange({ date: '2026-12-24', throughDate: '2026-12-23', reason: 'x' }, 'UTC')).toThrow(expect.objectContaining({ field: 'throughDate' }));
    expect(() => closureRange({ startsAt: '2026-12-24T10:00:00Z', endsAt: '2026-12-24T09:00:00Z', reason: 'x' }, 'UTC')).toThrow(expect.objectContaining({ field: 'endsAt' }));
    expect(() => closureRange({ startsAt: '2026-12-24T10:00:00Z', reason: 'x' }, 'UTC')).toThrow(expect.objectContaining({ field: 'endsAt' }));
  });
});
