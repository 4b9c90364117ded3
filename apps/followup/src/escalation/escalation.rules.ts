/**
 * Escalation rules (PRODUCT.md, "Escalation"): when a check-in answer, or the lack of one, puts an
 * "attention" item on the clinician's due list. Plain functions, no Nest, no I/O; the caller
 * stores the findings and keeps at most one open attention item per cause and plan.
 */

export interface EscalationConfig {
  /** A pain score at or above this escalates (default 8). */
  highScore: number;
  /** A rise of at least this much since the previous answer escalates (default 3). */
  riseBy: number;
  /** This many check-ins in a row without an answer escalates (default 2). */
  missedInARow: number;
}

export const DEFAULT_ESCALATION: EscalationConfig = { highScore: 8, riseBy: 3, missedInARow: 2 };

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
  if (score >= cfg.highScore) {
    findings.push({ cause: 'high_score', reason: `Pain ${score}/10 reported (threshold ${cfg.highScore})` });
  }
  if (previousScore !== null && score - previousScore >= cfg.riseBy) {
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
  if (n < cfg.missedInARow) return [];
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
