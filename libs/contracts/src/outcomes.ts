import type { StepKind, StepStatus, FollowUpKind, BookingTaskSource } from './resources.js';

/**
 * Patient-reported outcomes (pain scores against days since the procedure), the outcome
 * summary per clinician and protocol, and the care record followup hands the gateway for the
 * FHIR export. Times are ISO 8601 strings.
 */

/** One pain score on a procedure's series. */
export interface OutcomeScore {
  /** The pain score's own id (stable: the FHIR Observation id). */
  id: string;
  score: number;
  answeredAt: string;
  /**
   * Days since the procedure, counted in calendar days of the patient's zone (the procedure's
   * day is day 0; a DST change in between does not shift it). Negative before the procedure.
   */
  day: number;
  /** The check-in it answered, if it answered one. */
  stepId: string | null;
  stepKey: string | null;
  /** The inbound message that carried it. */
  messageId: string;
}

export interface OutcomeBaseline extends OutcomeScore {
  /** A score given before the procedure, or the first one after it. */
  source: 'pre_procedure' | 'post_procedure';
}

/** How the numbers are defined (the same in every answer, so a reader need not guess). */
export interface OutcomeDefinitions {
  day: string;
  baseline: string;
  week6: string;
  improved: string;
  reinjected: string;
}

/** One treated procedure (one care plan) and its outcome. */
export interface ProcedureOutcome {
  carePlanId: string;
  patientId: string;
  appointmentId: string;
  clinicianId: string;
  procedureType: string;
  protocol: string;
  protocolVersion: number;
  carePlanStatus: string;
  /** When the procedure was completed. */
  procedureDate: string;
  site: string | null;
  /** The patient's zone the days are counted in. */
  timezone: string;
  /** Post-procedure scores of this plan, oldest first. */
  scores: OutcomeScore[];
  baseline: OutcomeBaseline | null;
  week6: OutcomeScore | null;
  /** baseline − week-6 score: positive means less pain. Null without both. */
  improvement: number | null;
  /** improvement ≥ 2; null when it cannot be told (no baseline or no week-6 score). */
  improved: boolean | null;
  reinjected: boolean;
  /** What showed it: a later procedure of the same type, or a booked repeat decided on this plan. */
  reinjectedBy: 'later_procedure' | 'booked_repeat' | null;
}

export interface PatientOutcomesResource {
  patientId: string;
  definitions: OutcomeDefinitions;
  /** Newest procedure first. */
  procedures: ProcedureOutcome[];
  /** Scores that belong to no care plan (a number texted with no plan running), oldest first. */
  unassignedScores: { id: string; score: number; answeredAt: string; messageId: string }[];
}

export interface OutcomeSummaryData {
  clinicianId?: string;
  /** A protocol code such as bmac-standard. */
  protocol?: string;
  /** Procedures completed in [from, to). */
  from?: string;
  to?: string;
}

/** One clinician × protocol. The unit is a treated procedure (care plan). */
export interface OutcomeSummaryGroup {
  clinicianId: string;
  protocol: string;
  /** Procedures (care plans) in the period. */
  procedures: number;
  /** Distinct patients among them. */
  patients: number;
  withBaseline: number;
  withWeek6Score: number;
  /** With both a baseline and a week-6 score: the ones improvement is measured on. */
  evaluable: number;
  /** Improved by 2 points or more from baseline at week 6. */
  improved: number;
  /** improved / evaluable, or null when none is evaluable. */
  improvedShare: number | null;
  reinjected: number;
}

export interface OutcomeSummaryResource {
  from: string | null;
  to: string | null;
  clinicianId: string | null;
  protocol: string | null;
  definitions: OutcomeDefinitions;
  groups: OutcomeSummaryGroup[];
}

// ---- the care record followup keeps of a patient (for the FHIR export) ----

export interface CareRecordStep {
  id: string;
  key: string;
  kind: StepKind;
  status: StepStatus;
  dueAt: string;
  windowStart: string | null;
  windowEnd: string | null;
  firedAt: string | null;
  answeredAt: string | null;
}

export interface CareRecordPlan {
  id: string;
  appointmentId: string;
  clinicianId: string;
  procedureType: string;
  protocol: string;
  protocolVersion: number;
  status: string;
  procedureDate: string;
  site: string | null;
  outcome: string | null;
  createdAt: string;
  closedAt: string | null;
  steps: CareRecordStep[];
}

export interface CareRecordItem {
  id: string;
  kind: FollowUpKind;
  status: 'open' | 'done';
  carePlanId: string | null;
  stepId: string | null;
  clinicianId: string | null;
  reason: string | null;
  dueAt: string;
  createdAt: string;
  completedAt: string | null;
  note: string | null;
  decision: { repeatInjection: boolean; note: string | null } | null;
  /** The appointment it is about (a visit, a reschedule request). */
  appointmentId: string | null;
  /** Booking tasks: why, what to book, by when, and the appointment that answered it. */
  source: BookingTaskSource | null;
  procedureType: string | null;
  bookBy: string | null;
  bookedAppointmentId: string | null;
}

export interface CareRecordPainScore {
  id: string;
  score: number;
  answeredAt: string;
  carePlanId: string | null;
  stepId: string | null;
  messageId: string;
}

export interface PatientCareRecord {
  patientId: string;
  carePlans: CareRecordPlan[];
  items: CareRecordItem[];
  painScores: CareRecordPainScore[];
}
