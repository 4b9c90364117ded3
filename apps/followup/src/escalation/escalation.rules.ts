/**
 * Escalation rules (PRODUCT.md, "Escalation"): when a check-in answer, or the lack of one, puts an
 * "attention" item on the clinician's due list. Plain functions, no Nest, no I/O; the caller
 * stores the findings and keeps at most one open attention item per cause and plan.
 */

export interface EscalationConfig {
  /** A pain score at or above this escalates (default 8); null turns the rule off. */
  highScore: number | null;
  /** A rise of at least this much since the previous answer escalates (default 3); null: off. */
  riseBy: number | null;
  /** This many check-ins in a row without an answer escalates (default 2); null: off. */
  missedInARow: number | null;
  /**
   * A check-in that went out is unanswered this many hours later (default 48), or when the next
   * one goes out if that comes first; null: only then (the last check-in of a plan is then never
   * counted as missed).
   */
  answerWindowHours: number | null;
}

export const DEFAULT_ESCALATION: EscalationConfig = { highScore: 8, riseBy: 3, missedInARow: 2, answerWindowHours: 48 };

/** The longest answer window a clinic may set: two weeks, the longest gap between two check-ins of the default protocol. */
export const MAX_ANSWER_WINDOW_HOURS = 336;

/** When a check-in that goes out at `firedAt` is unanswered under the clinic's rules (null: only when the next goes out). */
export function answerDueAt(firedAt: Date, cfg: Pick<EscalationConfig, 'answerWindowHours'>): Date | null {
  return cfg.answerWindowHours === null ? null : new Date(firedAt.getTime() + cfg.answerWindowHours * 3_600_000);
}

/** A clinic's whole rule set: the thresholds, the free-text rule and the e-mail alert. */
export interface EscalationRules extends EscalationConfig {
  /** A patient's own words go to the clinician (off: to the front desk as a call to make). */
  freeText: boolean;
  /** E-mail the clinician when a new attention item is raised. */
  emailAlerts: boolean;
}

export const DEFAULT_RULES: EscalationRules = { ...DEFAULT_ESCALATION, freeText: true, emailAlerts: false };

export type EscalationCause = 'high_score' | 'score_rise' | 'missed_checkins';

export interface EscalationFinding {
  cause: EscalationCause;
  /** Human text for the clinician, e.g. 'Pain 9/10 reported (threshold 8)'. */
  reason: string;
}

/**
 * Findings for one pain-score answer (0–10). Both causes can apply at once (3 → 9 is high *and*
 * a rise), and both are reported so the clinician sees why. `previousScore` is the patient's
 * previous answer in the same care plan, or null for the first answer.
 * Throws a RangeError for a score outside 0–10: the SMS reply parser must never let one through.
 */
export function evaluateAnswer(input: { score: number; previousScore: number | null }, cfg: EscalationConfig): EscalationFinding[] {
  const { score, previousScore } = input;
  assertScore(score, 'score');
  if (previousScore !== null) assertScore(previousScore, 'previousScore');

  const findings: EscalationFinding[] = [];
  if (cfg.highScore !== null && score >= cfg.highScore) {
    findings.push({ cause: 'high_score', reason: `Pain ${score}/10 reported (threshold ${cfg.highScore})` });
  }
  if (cfg.riseBy !== null && previousScore !== null && score - previousScore >= cfg.riseBy) {
    findings.push({
      cause: 'score_rise',
      reason: `Pain rose by ${score - previousScore} since the previous answer, from ${previousScore}/10 to ${score}/10 (threshold ${cfg.riseBy})`,
    });
  }
  return findings;
}

/**
 * Findings for the number of consecutive check-ins, counted back from the latest one that came
 * due, without an answer. Fires at the threshold and at every count above it; deduplicating
 * (one open attention item) is the caller's job, so a third miss does not get lost if the first
 * item was already closed.
 */
export function evaluateMissed(input: { consecutiveUnanswered: number }, cfg: EscalationConfig): EscalationFinding[] {
  const n = input.consecutiveUnanswered;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`consecutiveUnanswered must be a whole number >= 0 (got ${n})`);
  if (cfg.missedInARow === null || n < cfg.missedInARow) return [];
  return [
    {
      cause: 'missed_checkins',
      reason: `No answer to ${n} check-ins in a row (threshold ${cfg.missedInARow})`,
    },
  ];
}

function assertScore(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 10) {
    throw new RangeError(`${name} must be a whole number from 0 to 10 (got ${value})`);
  }
}

/** Evidence kept on an open attention item (one per cause), newest first. */
export const EVIDENCE_KEPT = 10;

/** Checks an admin's rule set; returns the field at fault and why, or null when it is sound. */
export function rulesProblem(rules: EscalationConfig): { field: keyof EscalationConfig; message: string } | null {
  const whole = (v: number | null, min: number, max: number) => v === null || (Number.isInteger(v) && v >= min && v <= max);
  if (!whole(rules.highScore, 1, 10)) return { field: 'highScore', message: 'highScore must be a whole number from 1 to 10, or null to turn the rule off' };
  if (!whole(rules.riseBy, 1, 10)) return { field: 'riseBy', message: 'riseBy must be a whole number from 1 to 10, or null to turn the rule off' };
  if (!whole(rules.missedInARow, 1, 10)) {
    return { field: 'missedInARow', message: 'missedInARow must be a whole number from 1 to 10, or null to turn the rule off' };
  }
  if (!whole(rules.answerWindowHours, 1, MAX_ANSWER_WINDOW_HOURS)) {
    return {
      field: 'answerWindowHours',
      message: `answerWindowHours must be a whole number of hours from 1 to ${MAX_ANSWER_WINDOW_HOURS}, or null to count a check-in as missed only when the next one goes out`,
    };
  }
  return null;
}
