import { describe, expect, it } from '@jest/globals';
import {
  describeOffset,
  freshKey,
  moveRow,
  newRow,
  offsetParts,
  problemsByStep,
  removeRow,
  rowsToSteps,
  rowToStep,
  stepToRow,
  updateRow,
  type ProtocolStep,
  type StepRow,
} from './protocol-steps';

const BMAC: ProtocolStep[] = [
  { key: 'aftercare', kind: 'aftercare', offset: { hours: 2 } },
  { key: 'checkin-day-1', kind: 'checkin', offset: { days: 1 }, at: '10:00' },
  { key: 'follow-up-visit', kind: 'follow_up_visit', offset: { days: 14 }, window: { fromDays: 12, toDays: 16 }, bookAheadDays: 5 },
  { key: 'repeat-evaluation', kind: 'repeat_evaluation', offset: { days: 42 }, at: '10:00' },
];

const rowsOf = (steps: ProtocolStep[]) => steps.map(stepToRow);

describe('steps ↔ rows', () => {
  it('round-trips a protocol through the editor unchanged', () => {
    expect(rowsToSteps(rowsOf(BMAC))).toEqual({ ok: true, steps: BMAC });
  });

  it('reads ISO offsets the API may hold (P2W, PT2H) as days, hours and minutes', () => {
    expect(offsetParts('P2W')).toEqual({ days: 14, hours: 0, minutes: 0 });
    expect(offsetParts('P1DT2H30M')).toEqual({ days: 1, hours: 2, minutes: 30 });
    const row = stepToRow({ key: 'x', kind: 'checkin', offset: 'P1W' });
    expect([row.days, row.hours, row.minutes]).toEqual(['7', '', '']);
  });

  it('sends "at completion" as zero hours, and drops empty optional parts', () => {
    const row = { ...newRow([], 'aftercare'), days: '', at: '' };
    expect(rowToStep(row)).toEqual({ ok: true, step: { key: 'aftercare', kind: 'aftercare', offset: { hours: 0 } } });
  });

  it('says what is wrong with a row', () => {
    const row: StepRow = { ...newRow([]), key: ' ', days: '1.5', at: '25:00' };
    expect(rowToStep(row)).toEqual({
      ok: false,
      problems: { key: 'Key is required, e.g. checkin-day-1', days: 'Days must be a whole number of 0 or more', at: 'Time of day must be HH:mm, such as 10:00' },
    });
    const visit: StepRow = { ...newRow([], 'follow_up_visit'), windowFrom: '16', windowTo: '12' };
    expect(rowToStep(visit)).toEqual({ ok: false, problems: { windowTo: 'The window must end on or after the day it opens' } });
    expect(rowToStep({ ...visit, windowTo: '' })).toEqual({ ok: false, problems: { windowTo: 'Give both ends of the booking window, or neither' } });
  });

  it('finds a repeated key on the later row, and refuses no steps at all', () => {
    const rows = rowsOf(BMAC);
    const twice = updateRow(rows, rows[3]!.id, { key: 'aftercare' });
    const result = rowsToSteps(twice);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems[rows[3]!.id]).toEqual({ key: 'Key "aftercare" is already used by step 1' });
    expect(rowsToSteps([])).toEqual({ ok: false, problems: { '': { row: 'A protocol needs at least one step' } } });
  });
});

describe('editing rows', () => {
  it('adds a check-in a day after the last step, with a key of its own', () => {
    const rows = rowsOf(BMAC);
    const row = newRow(rows);
    expect(row).toMatchObject({ key: 'checkin', kind: 'checkin', days: '43', at: '10:00' });
    expect(freshKey([...rows, row], 'checkin')).toBe('checkin-2');
    expect(freshKey(rows, 'follow_up_visit')).toBe('follow-up-visit-2');
  });

  it('moves, removes and updates rows without touching the others', () => {
    const rows = rowsOf(BMAC);
    const [a, b, c, d] = rows.map((r) => r.id);
    expect(moveRow(rows, c!, -1).map((r) => r.id)).toEqual([a, c, b, d]);
    expect(moveRow(rows, a!, -1).map((r) => r.id)).toEqual([a, b, c, d]);
    expect(moveRow(rows, d!, 1).map((r) => r.id)).toEqual([a, b, c, d]);
    expect(removeRow(rows, b!).map((r) => r.id)).toEqual([a, c, d]);
    const updated = updateRow(rows, b!, { days: '2' });
    expect(updated[1]!.days).toBe('2');
    expect(updated[0]).toBe(rows[0]);
  });

  it('drops the booking window when a follow-up visit becomes another kind', () => {
    const rows = rowsOf(BMAC);
    const changed = updateRow(rows, rows[2]!.id, { kind: 'checkin' })[2]!;
    expect([changed.windowFrom, changed.windowTo, changed.bookAheadDays]).toEqual(['', '', '']);
  });
});

describe('problemsByStep', () => {
  it("puts the server's problems on the rows they name", () => {
    const rows = rowsOf(BMAC);
    const { byRow, rest } = problemsByStep(
      'steps.1.key "aftercare" is already the key of steps.0; keys must be unique; steps.2.window.toDays must be at most 730; steps.3.offset.days must be a whole number >= 0 (got -1); name must not be empty',
      rows,
    );
    expect(byRow[rows[1]!.id]).toEqual({ key: 'steps.1.key "aftercare" is already the key of steps.0; keys must be unique' });
    expect(byRow[rows[2]!.id]).toEqual({ windowTo: 'steps.2.window.toDays must be at most 730' });
    expect(byRow[rows[3]!.id]).toEqual({ days: 'steps.3.offset.days must be a whole number >= 0 (got -1)' });
    expect(rest).toBe('name must not be empty');
  });

  it('keeps problems of a step that is not there for the banner', () => {
    expect(problemsByStep('steps.9.key must be a key', rowsOf(BMAC))).toEqual({ byRow: {}, rest: 'steps.9.key must be a key' });
    expect(problemsByStep(null, [])).toEqual({ byRow: {}, rest: null });
  });
});

describe('describeOffset', () => {
  it('says when a step comes', () => {
    expect(describeOffset({ hours: 2 })).toBe('+2 hours');
    expect(describeOffset({ days: 1 })).toBe('+1 day');
    expect(describeOffset({ days: 14 })).toBe('+14 days (2 weeks)');
    expect(describeOffset('P1DT30M')).toBe('+1 day 30 minutes');
    expect(describeOffset({})).toBe('At completion');
  });
});
