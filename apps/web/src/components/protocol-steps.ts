/**
 * A protocol's steps as the admin edits them (one row of fields per step), and back to the API's
 * shape (ProtocolStepData in libs/contracts). Only what a row must be to be sent is checked
 * here (whole numbers, a time of day); the rules between steps (unique keys, a window only on a
 * follow-up visit) are the followup service's, whose 400 names the step as `steps.2.key`:
 * `problemsByStep` puts each such problem back on its row.
 */
import type { ProtocolStepData, ProtocolStepKind } from '@aftercare/contracts';
import { splitProblems } from './form-errors';

export type StepKind = ProtocolStepKind;

export const STEP_KINDS: readonly { kind: StepKind; name: string }[] = [
  { kind: 'aftercare', name: 'Aftercare instructions' },
  { kind: 'checkin', name: 'Check-in (pain 0–10)' },
  { kind: 'follow_up_visit', name: 'Follow-up visit' },
  { kind: 'repeat_evaluation', name: 'Repeat-injection evaluation' },
];

/** Who or what a step reaches: protocols have no channel of their own (the patient's preference decides). */
export const STEP_REACHES: Record<StepKind, string> = {
  aftercare: 'Patient: SMS and/or e-mail, as they prefer',
  checkin: 'Patient: SMS and/or e-mail; they reply by SMS',
  follow_up_visit: 'Books a visit; the patient is told by SMS and/or e-mail',
  repeat_evaluation: "Clinician's due list",
};

export function kindName(kind: string): string {
  return STEP_KINDS.find((k) => k.kind === kind)?.name ?? kind;
}

/** One step as the API has it. */
export type ProtocolStep = ProtocolStepData;
export type StepOffset = ProtocolStep['offset'];

/** One step as its fields hold it: text, so that a half-typed number stays as typed. */
export interface StepRow {
  /** The row's own id (React's key); never sent. */
  id: string;
  key: string;
  kind: StepKind;
  days: string;
  hours: string;
  minutes: string;
  /** Local time of day 'HH:mm', or '' for "the offset's own time". */
  at: string;
  windowFrom: string;
  windowTo: string;
  bookAheadDays: string;
}

export type RowField = Exclude<keyof StepRow, 'id'>;

/** { days, hours, minutes } of an offset, whether the API gave an object or an ISO duration (P2W, PT2H). */
export function offsetParts(offset: StepOffset): { days: number; hours: number; minutes: number } {
  if (typeof offset === 'string') {
    const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(offset);
    if (!match) return { days: 0, hours: 0, minutes: 0 };
    return { days: Number(match[1] ?? 0) * 7 + Number(match[2] ?? 0), hours: Number(match[3] ?? 0), minutes: Number(match[4] ?? 0) };
  }
  return { days: offset.days ?? 0, hours: offset.hours ?? 0, minutes: offset.minutes ?? 0 };
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** "+2 hours", "+14 days (2 weeks)", "at the procedure": when a step comes, in words. */
export function describeOffset(offset: StepOffset): string {
  const { days, hours, minutes } = offsetParts(offset);
  const words: string[] = [];
  if (days) words.push(days % 7 === 0 ? `${plural(days, 'day')} (${plural(days / 7, 'week')})` : plural(days, 'day'));
  if (hours) words.push(plural(hours, 'hour'));
  if (minutes) words.push(plural(minutes, 'minute'));
  return words.length ? `+${words.join(' ')}` : 'At completion';
}

let counter = 0;
/** A fresh row id (only for React's keys). */
export function rowId(): string {
  counter += 1;
  return `step-${counter}`;
}

const numberText = (n: number | undefined) => (n === undefined || n === null ? '' : String(n));

export function stepToRow(step: ProtocolStep): StepRow {
  const { days, hours, minutes } = offsetParts(step.offset);
  return {
    id: rowId(),
    key: step.key,
    kind: step.kind,
    days: days ? String(days) : '',
    hours: hours ? String(hours) : '',
    minutes: minutes ? String(minutes) : '',
    at: step.at ?? '',
    windowFrom: numberText(step.window?.fromDays),
    windowTo: numberText(step.window?.toDays),
    bookAheadDays: numberText(step.bookAheadDays),
  };
}

/** A key not used yet by another row: "checkin-2", "checkin-3", … */
export function freshKey(rows: readonly StepRow[], kind: StepKind): string {
  const base = kind.replace(/_/g, '-');
  const taken = new Set(rows.map((r) => r.key));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** A new row after the others: a check-in a day after the last step's day, at 10:00. */
export function newRow(rows: readonly StepRow[], kind: StepKind = 'checkin'): StepRow {
  const lastDays = rows.length ? Number(rows[rows.length - 1]!.days || 0) : 0;
  return {
    id: rowId(),
    key: freshKey(rows, kind),
    kind,
    days: String((Number.isFinite(lastDays) ? lastDays : 0) + 1),
    hours: '',
    minutes: '',
    at: kind === 'checkin' ? '10:00' : '',
    windowFrom: '',
    windowTo: '',
    bookAheadDays: '',
  };
}

export function updateRow(rows: readonly StepRow[], id: string, patch: Partial<Omit<StepRow, 'id'>>): StepRow[] {
  return rows.map((r) => {
    if (r.id !== id) return r;
    const next = { ...r, ...patch };
    // Only a follow-up visit has a booking window: changing the kind away drops it, rather than
    // leaving hidden values the server would refuse.
    if (patch.kind && patch.kind !== 'follow_up_visit') Object.assign(next, { windowFrom: '', windowTo: '', bookAheadDays: '' });
    return next;
  });
}

export function removeRow(rows: readonly StepRow[], id: string): StepRow[] {
  return rows.filter((r) => r.id !== id);
}

/** Moves a row one place up (-1) or down (+1); at either end nothing moves. */
export function moveRow(rows: readonly StepRow[], id: string, by: -1 | 1): StepRow[] {
  const i = rows.findIndex((r) => r.id === id);
  const j = i + by;
  if (i < 0 || j < 0 || j >= rows.length) return [...rows];
  const next = [...rows];
  [next[i], next[j]] = [next[j]!, next[i]!];
  return next;
}

export type RowProblems = Partial<Record<RowField | 'row', string>>;

function wholeNumber(text: string, field: string, problems: RowProblems, key: RowField): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^\d+$/.test(t)) {
    problems[key] = `${field} must be a whole number of 0 or more`;
    return undefined;
  }
  return Number(t);
}

/** A row → the API's step, or what is wrong with its fields. */
export function rowToStep(row: StepRow): { ok: true; step: ProtocolStep } | { ok: false; problems: RowProblems } {
  const problems: RowProblems = {};
  const key = row.key.trim();
  if (!key) problems.key = 'Key is required, e.g. checkin-day-1';
  const days = wholeNumber(row.days, 'Days', problems, 'days');
  const hours = wholeNumber(row.hours, 'Hours', problems, 'hours');
  const minutes = wholeNumber(row.minutes, 'Minutes', problems, 'minutes');
  const at = row.at.trim();
  if (at && !/^(?:[01]\d|2[0-3]):[0-5]\d$/.test(at)) problems.at = 'Time of day must be HH:mm, such as 10:00';
  const step: ProtocolStep = { key, kind: row.kind, offset: {} };
  const offset: { days?: number; hours?: number; minutes?: number } = {};
  if (days) offset.days = days;
  if (hours) offset.hours = hours;
  if (minutes) offset.minutes = minutes;
  // "At completion" is a valid offset; the API wants at least one unit to say so.
  step.offset = Object.keys(offset).length ? offset : { hours: 0 };
  if (at) step.at = at;
  if (row.kind === 'follow_up_visit') {
    const from = wholeNumber(row.windowFrom, 'Window from', problems, 'windowFrom');
    const to = wholeNumber(row.windowTo, 'Window to', problems, 'windowTo');
    if ((from === undefined) !== (to === undefined) && !problems.windowFrom && !problems.windowTo) {
      problems[from === undefined ? 'windowFrom' : 'windowTo'] = 'Give both ends of the booking window, or neither';
    } else if (from !== undefined && to !== undefined) {
      if (from > to) problems.windowTo = 'The window must end on or after the day it opens';
      step.window = { fromDays: from, toDays: to };
    }
    const ahead = wholeNumber(row.bookAheadDays, 'Book ahead', problems, 'bookAheadDays');
    if (ahead !== undefined) step.bookAheadDays = ahead;
  }
  return Object.keys(problems).length ? { ok: false, problems } : { ok: true, step };
}

/** All rows → the steps to send, or each row's problems by row id. */
export function rowsToSteps(rows: readonly StepRow[]): { ok: true; steps: ProtocolStep[] } | { ok: false; problems: Record<string, RowProblems> } {
  const steps: ProtocolStep[] = [];
  const problems: Record<string, RowProblems> = {};
  const keys = new Map<string, number>();
  rows.forEach((row, i) => {
    const result = rowToStep(row);
    if (!result.ok) problems[row.id] = result.problems;
    else steps.push(result.step);
    const key = row.key.trim();
    if (key && keys.has(key)) problems[row.id] = { ...problems[row.id], key: `Key "${key}" is already used by step ${keys.get(key)! + 1}` };
    else if (key) keys.set(key, i);
  });
  if (rows.length === 0) return { ok: false, problems: { '': { row: 'A protocol needs at least one step' } } };
  return Object.keys(problems).length ? { ok: false, problems } : { ok: true, steps };
}

const SERVER_FIELDS: Record<string, RowField> = {
  key: 'key',
  kind: 'kind',
  offset: 'days',
  at: 'at',
  window: 'windowFrom',
  bookAheadDays: 'bookAheadDays',
};

/**
 * The server's problems ("steps.2.key must be …; steps.0.window.toDays must be …") on the rows
 * they name, by row id; `rest` keeps the ones that name no step.
 */
export function problemsByStep(message: string | null | undefined, rows: readonly StepRow[]): { byRow: Record<string, RowProblems>; rest: string | null } {
  const byRow: Record<string, RowProblems> = {};
  const rest: string[] = [];
  if (!message) return { byRow, rest: null };
  // Every field a protocol form has: the others' problems are sentences of the one before.
  const fields = ['steps', 'code', 'name', 'procedureType', 'site', 'condition', 'note'];
  for (const problem of splitProblems(message, (name) => fields.includes(name))) {
    const match = /^steps\.(\d+)(?:\.([A-Za-z]+)(?:\.([A-Za-z]+))?)?/.exec(problem);
    const row = match ? rows[Number(match[1])] : undefined;
    if (!match || !row) {
      rest.push(problem);
      continue;
    }
    const [, , field, sub] = match;
    const target: RowField | 'row' =
      field === 'window' && sub === 'toDays' ? 'windowTo' : field === 'offset' && sub ? (sub as RowField) : field ? (SERVER_FIELDS[field] ?? 'row') : 'row';
    const current = byRow[row.id] ?? {};
    current[target] = current[target] ? `${current[target]}; ${problem}` : problem;
    byRow[row.id] = current;
  }
  return { byRow, rest: rest.length ? rest.join('; ') : null };
}
