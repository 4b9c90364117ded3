import { describe, expect, it } from '@jest/globals';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { isTransientConflict, pgErrorOf, retryTransient } from './transient.js';

/** A driver error as pg raises it, wrapped as drizzle throws it from a query. */
const pgError = (code: string, constraint?: string) =>
  new DrizzleQueryError('insert into "scheduling"."appointments" values ($1)', ['Ana Rivera'], Object.assign(new Error('db error'), { code, constraint, severity: 'ERROR' }));
const deadlock = () => pgError('40P01');

/** Records the waits instead of waiting. */
function recorder() {
  const waits: number[] = [];
  const retries: { attempt: number; waitMs: number; code?: string }[] = [];
  return {
    waits,
    retries,
    options: {
      wait: async (ms: number) => void waits.push(ms),
      random: () => 0.5,
      onRetry: (error: unknown, attempt: number, waitMs: number) => void retries.push({ attempt, waitMs, code: pgErrorOf(error).code }),
    },
  };
}

describe('pgErrorOf', () => {
  it('reads the code and constraint of the driver error, bare or wrapped by drizzle', () => {
    expect(pgErrorOf(pgError('23P01', 'appointment_resources_overlap'))).toEqual({ code: '23P01', constraint: 'appointment_resources_overlap' });
    expect(pgErrorOf(Object.assign(new Error('x'), { code: '40001' }))).toEqual({ code: '40001', constraint: undefined });
    expect(pgErrorOf(new Error('not a database error'))).toEqual({});
    expect(pgErrorOf(undefined)).toEqual({});
  });
});

describe('isTransientConflict', () => {
  it('is true for a deadlock victim and a serialization failure only', () => {
    expect(isTransientConflict(deadlock())).toBe(true);
    expect(isTransientConflict(pgError('40001'))).toBe(true);
    expect(isTransientConflict(pgError('23P01', 'appointments_patient_overlap'))).toBe(false);
    expect(isTransientConflict(pgError('23505'))).toBe(false);
    expect(isTransientConflict(new Error('deadlock detected'))).toBe(false); // codes, never message text
  });
});

describe('retryTransient', () => {
  it('runs the work again after a deadlock, with a growing random wait, and answers its result', async () => {
    const { waits, retries, options } = recorder();
    const seen: number[] = [];
    const result = await retryTransient(async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw deadlock();
      return 'booked';
    }, { ...options, backoffMs: 20 });
    expect(result).toBe('booked');
    expect(seen).toEqual([1, 2, 3]);
    expect(waits).toEqual([10, 20]); // half of 20 ms, then half of 40 ms
    expect(retries).toEqual([
      { attempt: 1, waitMs: 10, code: '40P01' },
      { attempt: 2, waitMs: 20, code: '40P01' },
    ]);
  });

  it('gives the last error to the caller once the attempts are spent', async () => {
    const { waits, options } = recorder();
    let runs = 0;
    const failure = retryTransient(async () => {
      runs++;
      throw pgError('40001');
    }, { ...options, attempts: 3 });
    await expect(failure).rejects.toBeInstanceOf(DrizzleQueryError);
    expect(runs).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('does not retry any other error: a constraint refusal is an answer, not a hiccup', async () => {
    const { waits, options } = recorder();
    let runs = 0;
    const overlap = pgError('23P01', 'appointments_clinician_overlap');
    await expect(
      retryTransient(async () => {
        runs++;
        throw overlap;
      }, options),
    ).rejects.toBe(overlap);
    expect(runs).toBe(1);
    expect(waits).toEqual([]);
  });

  it('waits at least a millisecond and at most the doubled bound', async () => {
    const waitsWith = async (random: number) => {
      const waits: number[] = [];
      let runs = 0;
      await retryTransient(
        async () => {
          if (++runs < 4) throw deadlock();
        },
        { wait: async (ms) => void waits.push(ms), random: () => random, backoffMs: 25 },
      );
      return waits;
    };
    expect(await waitsWith(0)).toEqual([1, 1, 1]);
    expect(await waitsWith(0.999)).toEqual([25, 50, 100]);
  });
});
