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
  /** The procedure type code this protocol follows up (one protocol per type is active). */
  procedureType: string;
  name: string;
  steps: ProtocolStep[];
}

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

/**
 * Problems with a protocol definition, as human-readable strings naming the step; empty = valid.
 * Run before an admin's edit is saved and before planning.
 */
export function validateProtocol(p: ProtocolDefinition): string[] {
  const problems: string[] = [];
  if (!p.code?.trim()) problems.push('code is required');
  if (!Number.isInteger(p.version) || p.version < 1) problems.push(`version must be a positive integer (got ${p.version})`);
  if (!p.procedureType?.trim()) problems.push('procedureType is required');
  if (!p.name?.trim()) problems.push('name is required');
  if (!Array.isArray(p.steps) || p.steps.length === 0) {
    problems.push('steps must list at least one step');
    return problems;
  }

  const seen = new Set<string>();
  p.steps.forEach((step, i) => {
    const label = `step ${i + 1}${step.key ? ` "${step.key}"` : ''}`;

    if (!step.key?.trim()) problems.push(`${label}: key is required`);
    else if (seen.has(step.key)) problems.push(`${label}: duplicate key`);
    else seen.add(step.key);

    if (!STEP_KINDS.includes(step.kind)) problems.push(`${label}: unknown kind "${step.kind}"`);

    for (const unit of ['days', 'hours', 'minutes'] as const) {
      const v = step.offset?.[unit];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || v < 0) problems.push(`${label}: offset.${unit} must be a whole number >= 0 (got ${v})`);
    }

    if (step.at !== undefined) {
      try {
        parseLocalTime(step.at);
      } catch {
        problems.push(`${label}: at "${step.at}" is not a valid 'HH:mm' time`);
      }
    }

    if (step.window !== undefined) {
      const { fromDays, toDays } = step.window;
      if (step.kind !== 'follow_up_visit') problems.push(`${label}: a window is only allowed on a follow_up_visit step`);
      if (step.bookAheadDays !== undefined && !(Number.isInteger(step.bookAheadDays) && step.bookAheadDays >= 0)) {
        problems.push(`${label}: bookAheadDays must be a whole number of days >= 0`);
      }
      if (!Number.isInteger(fromDays) || fromDays < 0 || !Number.isInteger(toDays) || toDays < 0) {
        problems.push(`${label}: window days must be whole numbers >= 0 (got ${fromDays}–${toDays})`);
      } else if (fromDays > toDays) {
        problems.push(`${label}: window fromDays (${fromDays}) must not be after toDays (${toDays})`);
      }
    }
  });
  return problems;
}
