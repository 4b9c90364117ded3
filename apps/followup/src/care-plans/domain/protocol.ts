/**
 * Follow-up protocols: versioned data (editable by an admin) that the planner turns into a care
 * plan when a procedure is completed. Plain data and functions, no Nest, no I/O.
 *
 * Offsets count from the procedure's completion, in the patient's time zone:
 *   - `offset.days` are calendar days (so "+7 days" keeps the local time across a DST change);
 *   - `at` then sets the local time of day ('HH:mm');
 *   - `offset.hours` / `offset.minutes` are then added as elapsed time.
 * See care-plan.planner.ts for the exact rules, including quiet hours.
 */
import { parseLocalTime } from '@aftercare/clock';

export type StepKind = 'aftercare' | 'checkin' | 'follow_up_visit' | 'repeat_evaluation';

export const STEP_KINDS: readonly StepKind[] = ['aftercare', 'checkin', 'follow_up_visit', 'repeat_evaluation'];

export interface ProtocolStep {
  /** Unique within the protocol; becomes part of the care-plan step's natural key. */
  key: string;
  kind: StepKind;
  offset: { days?: number; hours?: number; minutes?: number };
  /** Local time of day 'HH:mm' in the patient's zone, applied after `offset.days`. */
  at?: string;
  /** follow_up_visit only: the booking window, in days after completion (both ends inclusive). */
  window?: { fromDays: number; toDays: number };
  /**
   * follow_up_visit only: the visit is booked this many days before its window opens (default
   * DEFAULT_BOOK_AHEAD_DAYS), at `at` (default 10:00) local, so that the first day of the window
   * can be offered and the patient hears of the visit in time to answer C or R.
   */
  bookAheadDays?: number;
}

export const DEFAULT_BOOK_AHEAD_DAYS = 5;

export interface ProtocolDefinition {
  code: string;
  version: number;
  /** The procedure type code this protocol follows up. */
  procedureType: string;
  name: string;
  /**
   * Optional narrower scope: a treated site ("knee", matched as whole words in the site the
   * clinician records at completion) and / or a condition code. A plan takes the most specific
   * active protocol that matches (see protocol.selection.ts); one with neither is the procedure
   * type's default.
   */
  site?: string | null;
  condition?: string | null;
  steps: ProtocolStep[];
}

/** The treated conditions of PRODUCT.md, as codes a protocol may be scoped to. */
export const CONDITIONS = ['osteoarthritis', 'fracture', 'osteonecrosis', 'cartilage_injury', 'tendon_injury', 'ligament_injury'] as const;
export type Condition = (typeof CONDITIONS)[number];

/** Limits that catch typing errors in an admin's edit (a year-long check-in is a typo). */
export const PROTOCOL_LIMITS = { maxSteps: 40, maxOffsetDays: 730, maxWindowDays: 730, maxBookAheadDays: 60 } as const;

/** PRODUCT.md, "Default protocol bmac-standard". */
export const BMAC_STANDARD: ProtocolDefinition = {
  code: 'bmac-standard',
  version: 1,
  procedureType: 'bmac_injection',
  name: 'BMAC injection — standard follow-up',
  steps: [
    { key: 'aftercare', kind: 'aftercare', offset: { hours: 2 } },
    { key: 'checkin-day-1', kind: 'checkin', offset: { days: 1 }, at: '10:00' },
    { key: 'checkin-day-3', kind: 'checkin', offset: { days: 3 }, at: '10:00' },
    // The visit aims at day 14, in the first free slot of days 12–16; it is booked (and the
    // patient told) five days before the window opens, on day 7 at 10:00.
    { key: 'follow-up-visit', kind: 'follow_up_visit', offset: { days: 14 }, window: { fromDays: 12, toDays: 16 }, bookAheadDays: 5 },
    { key: 'checkin-week-2', kind: 'checkin', offset: { days: 14 }, at: '10:00' },
    { key: 'checkin-week-4', kind: 'checkin', offset: { days: 28 }, at: '10:00' },
    { key: 'checkin-week-6', kind: 'checkin', offset: { days: 42 }, at: '10:00' },
    // PRODUCT.md gives only "+42 days". The evaluation is an item on the clinician's due list, not
    // a message to the patient, so quiet hours do not really concern it; pinning it to 10:00 makes
    // it land at a predictable working-day time instead of at whatever hour the procedure ended,
    // and together with the week-6 check-in (listed first, so it sorts first on a tie), so the
    // clinician sees the week-6 answer in the pain trend as soon as the patient replies.
    { key: 'repeat-evaluation', kind: 'repeat_evaluation', offset: { days: 42 }, at: '10:00' },
  ],
};

/**
 * A consultation has no wound to look after: one check-in a few days later to ask how the
 * patient is doing (and whether they have questions before deciding on treatment).
 */
export const CONSULTATION_STANDARD: ProtocolDefinition = {
  code: 'consultation-standard',
  version: 1,
  procedureType: 'consultation',
  name: 'Consultation — standard follow-up',
  steps: [{ key: 'checkin-day-3', kind: 'checkin', offset: { days: 3 }, at: '10:00' }],
};

/** After a follow-up visit: a check-in a week later keeps the pain trend going. */
export const FOLLOW_UP_VISIT_STANDARD: ProtocolDefinition = {
  code: 'follow-up-visit-standard',
  version: 1,
  procedureType: 'follow_up_visit',
  name: 'Follow-up visit — standard follow-up',
  steps: [{ key: 'checkin-day-7', kind: 'checkin', offset: { days: 7 }, at: '10:00' }],
};

export const DEFAULT_PROTOCOLS: ProtocolDefinition[] = [BMAC_STANDARD, CONSULTATION_STANDARD, FOLLOW_UP_VISIT_STANDARD];

/** One problem with a protocol definition: the field path (as an API client sent it) and why. */
export interface ProtocolProblem {
  field: string;
  message: string;
}

/**
 * Problems with a protocol definition, each naming its field as the gateway does (`steps.2.at`);
 * empty = valid.
 * Run before an admin's edit is saved and before planning.
 */
export function protocolProblems(p: ProtocolDefinition): ProtocolProblem[] {
  const problems: ProtocolProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message: `${field} ${message}` });
  if (typeof p.code !== 'string' || !p.code.trim()) add('code', 'is required');
  if (!Number.isInteger(p.version) || p.version < 1) add('version', `must be a positive integer (got ${p.version})`);
  if (typeof p.procedureType !== 'string' || !p.procedureType.trim()) add('procedureType', 'is required');
  if (typeof p.name !== 'string' || !p.name.trim()) add('name', 'is required');
  if (p.site !== undefined && p.site !== null && (typeof p.site !== 'string' || !p.site.trim())) add('site', 'must be a non-empty text or left out');
  if (p.condition !== undefined && p.condition !== null && !(CONDITIONS as readonly string[]).includes(p.condition)) {
    add('condition', `must be one of ${CONDITIONS.join(', ')}`);
  }
  if (!Array.isArray(p.steps) || p.steps.length === 0) {
    add('steps', 'must list at least one step');
    return problems;
  }
  if (p.steps.length > PROTOCOL_LIMITS.maxSteps) add('steps', `must list at most ${PROTOCOL_LIMITS.maxSteps} steps`);

  const seen = new Map<string, number>();
  p.steps.forEach((step, i) => {
    const at = (field: string) => `steps.${i}.${field}`;
    if (!step || typeof step !== 'object') {
      add(`steps.${i}`, 'must be a step { key, kind, offset, ... }');
      return;
    }

    if (typeof step.key !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(step.key)) add(at('key'), 'must be a key such as checkin-day-1 (a-z, 0-9, -)');
    else if (seen.has(step.key)) add(at('key'), `"${step.key}" is already the key of steps.${seen.get(step.key)}; keys must be unique`);
    else seen.set(step.key, i);

    if (!STEP_KINDS.includes(step.kind)) add(at('kind'), `must be one of ${STEP_KINDS.join(', ')} (got "${String(step.kind)}")`);

    if (!step.offset || typeof step.offset !== 'object') add(at('offset'), 'is required ({ days, hours, minutes } or an ISO 8601 duration)');
    else {
      for (const unit of ['days', 'hours', 'minutes'] as const) {
        const v = step.offset[unit];
        if (v === undefined) continue;
        if (!Number.isInteger(v) || v < 0) add(at(`offset.${unit}`), `must be a whole number >= 0 (got ${v})`);
      }
      const totalDays = (step.offset.days ?? 0) + (step.offset.hours ?? 0) / 24 + (step.offset.minutes ?? 0) / 1440;
      if (totalDays > PROTOCOL_LIMITS.maxOffsetDays) add(at('offset'), `must be at most ${PROTOCOL_LIMITS.maxOffsetDays} days after the procedure`);
    }

    if (step.at !== undefined) {
      try {
        parseLocalTime(step.at);
      } catch {
        add(at('at'), `"${step.at}" is not a valid local time 'HH:mm' (00:00–23:59)`);
      }
    }

    if (step.bookAheadDays !== undefined) {
      if (step.kind !== 'follow_up_visit') add(at('bookAheadDays'), 'is only allowed on a follow_up_visit step');
      else if (!Number.isInteger(step.bookAheadDays) || step.bookAheadDays < 0 || step.bookAheadDays > PROTOCOL_LIMITS.maxBookAheadDays) {
        add(at('bookAheadDays'), `must be a whole number of days from 0 to ${PROTOCOL_LIMITS.maxBookAheadDays}`);
      }
    }

    if (step.window !== undefined) {
      const { fromDays, toDays } = step.window ?? ({} as { fromDays?: number; toDays?: number });
      if (step.kind !== 'follow_up_visit') add(at('window'), 'is only allowed on a follow_up_visit step');
      if (!Number.isInteger(fromDays) || fromDays! < 0) add(at('window.fromDays'), `must be a whole number >= 0 (got ${fromDays})`);
      else if (!Number.isInteger(toDays) || toDays! < 0) add(at('window.toDays'), `must be a whole number >= 0 (got ${toDays})`);
      else if (fromDays! > toDays!) add(at('window.fromDays'), `(${fromDays}) must not be after window.toDays (${toDays})`);
      else if (toDays! > PROTOCOL_LIMITS.maxWindowDays) add(at('window.toDays'), `must be at most ${PROTOCOL_LIMITS.maxWindowDays}`);
    }
  });
  return problems;
}

/** The same problems as plain sentences (for logs and planning errors). */
export function validateProtocol(p: ProtocolDefinition): string[] {
  return protocolProblems(p).map((problem) => problem.message);
}

/**
 * An offset as an admin may write it: `{ days, hours, minutes }`, or an ISO 8601 duration of
 * weeks, days, hours and minutes ('P1D', 'PT2H', 'P2W', 'P1DT12H'). Months and years are
 * refused: "+1 month" has no fixed number of days, and offsets are counted in days.
 * Returns null when the text is not such a duration.
 */
export function parseOffset(value: string): ProtocolStep['offset'] | null {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/.exec(value);
  if (!match || value === 'P' || value.endsWith('T')) return null;
  const [, w, d, h, m] = match;
  const offset: ProtocolStep['offset'] = {};
  const days = Number(w ?? 0) * 7 + Number(d ?? 0);
  if (w !== undefined || d !== undefined) offset.days = days;
  if (h !== undefined) offset.hours = Number(h);
  if (m !== undefined) offset.minutes = Number(m);
  return offset;
}
