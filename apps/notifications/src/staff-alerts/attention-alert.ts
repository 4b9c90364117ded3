/**
 * The e-mail that tells a clinician an attention item is waiting (issue 5, escalation). It goes
 * to staff over plain e-mail, so it names no patient and no diagnosis: the rule's plain
 * category and the item's id; the details are behind the sign-in. Plain function, no I/O.
 */
const CAUSES: Record<string, string> = {
  high_score: 'a high pain score was reported',
  score_rise: 'a reported pain score went up',
  missed_checkins: 'check-ins went unanswered',
  'patient-text': 'the patient sent a message',
};

export function attentionAlertEmail(input: { itemId: string; cause: string; clinicName: string | null; publicUrl: string }): { subject: string; body: string } {
  const why = CAUSES[input.cause] ?? 'an escalation rule fired';
  return {
    subject: 'A follow-up item needs your attention',
    body: [
      `A patient on your follow-up list needs attention: ${why}.`,
      '',
      `Sign in to Aftercare to see it: ${input.publicUrl}`,
      `Item: ${input.itemId}`,
      '',
      `This e-mail names no patient on purpose.${input.clinicName ? ` — ${input.clinicName}` : ''}`,
    ].join('\n'),
  };
}
