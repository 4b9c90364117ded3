import { Injectable } from '@nestjs/common';

/**
 * Counts handled jobs and events. The virtual clock compares two readings to know that
 * nothing ran in between (so the system is really quiet before it moves time on).
 */
@Injectable()
export class ActivityCounter {
  private count = 0;
  bump(): void {
    this.count++;
  }
  get value(): number {
    return this.count;
  }
}
