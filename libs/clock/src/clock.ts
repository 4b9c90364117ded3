/**
 * The one source of "now" in business code. Outside production the system can run on a
 * shared virtual clock: real time plus an offset kept in PostgreSQL, so that every service and
 * every restart agrees on it (PRODUCT.md, "Time in tests and demos").
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock for unit tests: it moves only when told to. */
export class ManualClock extends Clock {
  constructor(private current: Date) {
    super();
  }
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}
