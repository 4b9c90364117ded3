import { ValidateBy } from 'class-validator';
import { Duration } from 'luxon';
import { Required } from '../common/validation/validators.js';

/** The furthest one advance may move the clock (a year and a bit: a whole care plan fits). */
export const MAX_ADVANCE = Duration.fromObject({ days: 400 });

/** A positive ISO 8601 duration of at most 400 days (months count as 30 days here). */
export function isAdvanceDuration(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 64) return false;
  const duration = Duration.fromISO(value);
  if (!duration.isValid) return false;
  const ms = duration.toMillis();
  return ms > 0 && ms <= MAX_ADVANCE.toMillis() && Object.values(duration.toObject()).every((v) => v === undefined || v >= 0);
}

export class AdvanceClockDto {
  @Required()
  @ValidateBy({
    name: 'isAdvanceDuration',
    validator: {
      validate: isAdvanceDuration,
      defaultMessage: () => '$property must be a positive ISO 8601 duration of at most 400 days, such as P14D or PT2H',
    },
  })
  by!: string;
}
