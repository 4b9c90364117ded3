import { DateTime } from 'luxon';
import type {
  OutcomeBaseline,
  OutcomeDefinitions,
  OutcomeScore,
  OutcomeSummaryGroup,
  ProcedureOutcome,
} from '@aftercare/contracts';

/**
 * Patient-reported outcomes: the pain-score series of a procedure against days since it, its
 * baseline, its week-6 score, whether it improved, and whether the patient was re-injected.
 * Plain code, no I/O: the service loads rows and hands them here.
 */
export interface OutcomeRules {
  /** A score this many days (or fewer) before the procedure is its pre-procedure baseline. */
  preProcedureLookbackDays: number;
  /** Without one, the first score from day 0 to this day after the procedure is the baseline. */
  postProcedureBaselineLastDay: number;
  /** "At week 6": the score nearest this day … */
  week6Day: number;
  /** … within this many days either side (inclusive). */
  week6WindowDays: number;
  /** Improved: the week-6 score is at least this many points below the baseline. */
  improvementPoints: number;
}

export const DEFAULT_OUTCOME_RULES: OutcomeRules = {
  preProcedureLookbackDays: 30,
  postProcedureBaselineLastDay: 7,
  week6Day: 42,
  week6WindowDays: 7,
  improvementPoints: 2,
};

export function outcomeDefinitions(rules: OutcomeRules = DEFAULT_OUTCOME_RULES): OutcomeDefinitions {
  const first = rules.week6Day - rules.week6WindowDays;
  const last = rules.week6Day + rules.week6WindowDays;
  return {
    day: "Calendar days since the procedure in the patient's time zone: the procedure's local date is day 0 (a DST change in between shifts nothing).",
    baseline:
      `The patient's latest score in the ${rules.preProcedureLookbackDays} days before the procedure if there is one; ` +
      `otherwise the plan's first score from day 0 to day ${rules.postProcedureBaselineLastDay}. Later first scores are no baseline.`,
    week6: `The plan's score nearest day ${rules.week6Day}, from day ${first} to day ${last} inclusive; on a tie the earlier one.`,
    improved: `Baseline minus the week-6 score is ${rules.improvementPoints} points or more (0-10 scale, lower is less pain); counted only with both scores.`,
    reinjected:
      'A later procedure of the same type for the same patient was completed, or a repeat injection decided on this plan was booked.',
  };
}

/** Calendar days from the procedure to `at`, both in `zone` (the procedure's local date is day 0). */
export function daysSinceProcedure(procedureAt: Date, at: Date, zone: string): number {
  const start = DateTime.fromJSDate(procedureAt, { zone }).startOf('day');
  const end = DateTime.fromJSDate(at, { zone }).startOf('day');
  // Local midnights are 23 or 25 hours apart across a DST change: round, never floor.
  return Math.round(end.diff(start, 'days').days);
}

export interface ScoreInput {
  id: string;
  score: number;
  answeredAt: Date;
  carePlanId: string | null;
  stepId: string | null;
  stepKey: string | null;
  messageId: string;
}

export interface PlanInput {
  id: string;
  patientId: string;
  appointmentId: string;
  clinicianId: string;
  procedureType: string;
  protocolCode: string;
  protocolVersion: number;
  status: string;
  procedureCompletedAt: Date;
  site: string | null;
  timezone: string;
}

export interface OutcomeInput {
  plan: PlanInput;
  /** Every pain score of the patient (any plan, or none), any order. */
  patientScores: readonly ScoreInput[];
  /** Completion times of the patient's other procedures of the plan's type. */
  sameTypeProcedures: readonly Date[];
  /** A repeat injection decided on this plan has been booked. */
  repeatBooked: boolean;
}

const byTime = (a: { answeredAt: Date; id: string }, b: { answeredAt: Date; id: string }) =>
  a.answeredAt.getTime() - b.answeredAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function procedureOutcome(input: OutcomeInput, rules: OutcomeRules = DEFAULT_OUTCOME_RULES): ProcedureOutcome {
  const { plan } = input;
  const procedureAt = plan.procedureCompletedAt;
  const toScore = (s: ScoreInput): OutcomeScore => ({
    id: s.id,
    score: s.score,
    answeredAt: s.answeredAt.toISOString(),
    day: daysSinceProcedure(procedureAt, s.answeredAt, plan.timezone),
    stepId: s.stepId,
    stepKey: s.stepKey,
    messageId: s.messageId,
  });
  const series = input.patientScores
    .filter((s) => s.carePlanId === plan.id && s.answeredAt >= procedureAt)
    .sort(byTime)
    .map(toScore);

  const lookbackStart = DateTime.fromJSDate(procedureAt, { zone: plan.timezone }).minus({ days: rules.preProcedureLookbackDays }).toJSDate();
  const before = input.patientScores.filter((s) => s.answeredAt < procedureAt && s.answeredAt >= lookbackStart).sort(byTime);
  const pre = before[before.length - 1];
  const firstAfter = series[0];
  let baseline: OutcomeBaseline | null = null;
  if (pre) baseline = { ...toScore(pre), source: 'pre_procedure' };
  else if (firstAfter && firstAfter.day <= rules.postProcedureBaselineLastDay) baseline = { ...firstAfter, source: 'post_procedure' };

  let week6: OutcomeScore | null = null;
  for (const s of series) {
    const distance = Math.abs(s.day - rules.week6Day);
    if (distance > rules.week6WindowDays) continue;
    // The same score cannot be both ends of the comparison.
    if (baseline && baseline.id === s.id) continue;
    if (!week6 || distance < Math.abs(week6.day - rules.week6Day)) week6 = s;
  }

  const improvement = baseline && week6 ? baseline.score - week6.score : null;
  const laterProcedure = input.sameTypeProcedures.some((at) => at > procedureAt);
  const reinjectedBy = laterProcedure ? 'later_procedure' : input.repeatBooked ? 'booked_repeat' : null;
  return {
    carePlanId: plan.id,
    patientId: plan.patientId,
    appointmentId: plan.appointmentId,
    clinicianId: plan.clinicianId,
    procedureType: plan.procedureType,
    protocol: plan.protocolCode,
    protocolVersion: plan.protocolVersion,
    carePlanStatus: plan.status,
    procedureDate: procedureAt.toISOString(),
    site: plan.site,
    timezone: plan.timezone,
    scores: series,
    baseline,
    week6,
    improvement,
    improved: improvement === null ? null : improvement >= rules.improvementPoints,
    reinjected: reinjectedBy !== null,
    reinjectedBy,
  };
}

/** Per clinician and protocol, in that order. */
export function summarizeOutcomes(outcomes: readonly ProcedureOutcome[]): OutcomeSummaryGroup[] {
  const groups = new Map<string, { group: OutcomeSummaryGroup; patients: Set<string> }>();
  for (const o of outcomes) {
    const key = `${o.clinicianId}\u0000${o.protocol}`;
    let entry = groups.get(key);
    if (!entry) {
      entry = {
        group: { clinicianId: o.clinicianId, protocol: o.protocol, procedures: 0, patients: 0, withBaseline: 0, withWeek6Score: 0, evaluable: 0, improved: 0, improvedShare: null, reinjected: 0 },
        patients: new Set(),
      };
      groups.set(key, entry);
    }
    const g = entry.group;
    entry.patients.add(o.patientId);
    g.procedures++;
    if (o.baseline) g.withBaseline++;
    if (o.week6) g.withWeek6Score++;
    if (o.improvement !== null) g.evaluable++;
    if (o.improved) g.improved++;
    if (o.reinjected) g.reinjected++;
  }
  return [...groups.values()]
    .map(({ group, patients }) => ({
      ...group,
      patients: patients.size,
      improvedShare: group.evaluable ? Math.round((group.improved / group.evaluable) * 1000) / 1000 : null,
    }))
    .sort((a, b) => (a.clinicianId < b.clinicianId ? -1 : a.clinicianId > b.clinicianId ? 1 : a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0));
}
