/**
 * A care plan's lifecycle: which changes are allowed, and what resuming a paused plan does to
 * its steps. Plain functions, no Nest, no I/O.
 *
 *   active ──pause──▶ paused ──resume──▶ active
 *   active | paused ──cancel──▶ cancelled            (by a clinician, with a reason)
 *   active | paused ──a new procedure──▶ superseded  (the new plan takes over)
 *   active ──"no repeat" decision──▶ completed
 *
 * Resuming: a step whose time has not come yet keeps its due time, so the plan stays anchored to
 * the procedure (week 6 is still week 6, and outcomes stay comparable between patients). A step
 * that came due while the plan was paused is
 *   - skipped if it talks to the patient (aftercare, check-in): aftercare advice days late is
 *     wrong advice, and a late check-in would be stored as the answer for a day it was not; a
 *     skipped check-in was never sent, so it does not count as unanswered for escalation;
 *   - due at once (at the first time outside quiet hours) if it is the clinic's work (the
 *     follow-up visit to book, the repeat-injection evaluation): those must not vanish. The
 *     visit's booking window moves by as many local days as the booking was delayed.
 */
import { DateTime } from 'luxon';
import { nextAllowedTime, type QuietHours } from '@aftercare/clock';
import type { StepKind } from './protocol.js';

export type CarePlanStatus = 'active' | 'paused' | 'completed' | 'cancelled' | 'superseded';
export type CarePlanAction = 'pause' | 'resume' | 'cancel' | 'supersede';

const ALLOWED: Record<CarePlanAction, readonly CarePlanStatus[]> = {
  pause: ['active'],
  resume: ['paused'],
  cancel: ['active', 'paused'],
  supersede: ['active', 'paused'],
};

/** The status after `action`, or null when the plan's status does not allow it. */
export function transition(status: CarePlanStatus, action: CarePlanAction): CarePlanStatus | null {
  if (!ALLOWED[action].includes(status)) return null;
  return ({ pause: 'paused', resume: 'active', cancel: 'cancelled', supersede: 'superseded' } as const)[action];
}

/** Patient-facing steps: skipped when their time passed during a pause. */
export const PATIENT_MESSAGE_KINDS: readonly StepKind[] = ['aftercare', 'checkin'];

export interface PausedStep {
  id: string;
  kind: StepKind;
  dueAt: Date;
  windowStart: Date | null;
  windowEnd: Date | null;
}

export type ResumeDecision =
  | { id: string; action: 'schedule'; dueAt: Date; windowStart: Date | null; windowEnd: Date | null }
  | { id: string; action: 'skip' };

export interface ResumeInput {
  resumedAt: Date;
  timezone: string;
  quietHours: QuietHours;
}

/** What becomes of each paused step when the plan resumes at `resumedAt` (see the file comment). */
export function planResume(paused: readonly PausedStep[], input: ResumeInput): ResumeDecision[] {
  const { resumedAt, timezone, quietHours } = input;
  return paused.map((step): ResumeDecision => {
    if (step.dueAt > resumedAt) {
      return { id: step.id, action: 'schedule', dueAt: step.dueAt, windowStart: step.windowStart, windowEnd: step.windowEnd };
    }
    if (PATIENT_MESSAGE_KINDS.includes(step.kind)) return { id: step.id, action: 'skip' };
    const dueAt = nextAllowedTime(resumedAt, timezone, quietHours);
    // Calendar days in the patient's zone, so a window of whole local days stays whole days
    // (00:00 local) across a DST change.
    const days = Math.max(
      0,
      Math.round(
        DateTime.fromJSDate(dueAt, { zone: timezone }).startOf('day').diff(DateTime.fromJSDate(step.dueAt, { zone: timezone }).startOf('day'), 'days').days,
      ),
    );
    const shift = (d: Date | null) => (d ? DateTime.fromJSDate(d, { zone: timezone }).plus({ days }).toJSDate() : null);
    return { id: step.id, action: 'schedule', dueAt, windowStart: shift(step.windowStart), windowEnd: shift(step.windowEnd) };
  });
}
