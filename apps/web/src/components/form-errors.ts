/**
 * The server names the field in each problem it reports ("email: a user with this e-mail
 * address exists already", "password must be at least 12 characters long", several joined with
 * "; " by the api client). A form shows each problem under the field it names, and what names
 * no field of the form in a banner above it.
 */
export interface FieldErrors<F extends string> {
  fields: Partial<Record<F, string>>;
  /** Problems that name no field of this form (or null when there are none). */
  rest: string | null;
}

/** The field a problem starts with: "email: …", "email must …", "steps.2.key must …" → its first path part. */
export function fieldOf(problem: string): string | null {
  const match = /^([A-Za-z][A-Za-z0-9_]*)(?=[\s:.[])/.exec(problem.trim());
  return match ? match[1]! : null;
}

/** `error` when it is about `field` ("until must be …", "clinicianId: choose …"), else null: shown at that field. */
export function errorAt(error: string | null | undefined, field: string): string | null {
  return error && fieldOf(error)?.toLowerCase() === field.toLowerCase() ? error : null;
}

/**
 * The problems in a message. "; " joins problems, but a problem may use it too ("… is already
 * the key of steps.0; keys must be unique"): a part that starts neither with a field of the form
 * (`isField`) nor with a capital letter (a sentence of its own) nor with "property " (the
 * validator's unknown-field problem) goes on with the problem before it.
 */
export function splitProblems(message: string | null | undefined, isField: (name: string) => boolean): string[] {
  const problems: string[] = [];
  for (const part of (message ?? '').split('; ').map((p) => p.trim()).filter(Boolean)) {
    const field = fieldOf(part);
    const starts = (field !== null && isField(field)) || /^[A-Z]/.test(part) || part.startsWith('property ');
    if (!starts && problems.length) problems[problems.length - 1] += `; ${part}`;
    else problems.push(part);
  }
  return problems;
}

export function splitFieldErrors<F extends string>(message: string | null | undefined, fields: readonly F[]): FieldErrors<F> {
  const result: FieldErrors<F> = { fields: {}, rest: null };
  if (!message) return result;
  const rest: string[] = [];
  for (const problem of splitProblems(message, (name) => (fields as readonly string[]).includes(name))) {
    const field = fieldOf(problem);
    if (field !== null && (fields as readonly string[]).includes(field)) {
      const f = field as F;
      result.fields[f] = result.fields[f] ? `${result.fields[f]}; ${problem}` : problem;
    } else {
      rest.push(problem);
    }
  }
  result.rest = rest.length ? rest.join('; ') : null;
  return result;
}
