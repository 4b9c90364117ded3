import { DateTime } from 'luxon';
import type { FollowUpState } from '@aftercare/contracts';

const DAY_MS = 86_400_000;

interface ZoneDay {
  /** Start of today and of tomorrow in the zone, epoch ms (23 or 25 hours apart across a DST change). */
  todayStart: number;
  tomorrowStart: number;
  /** Today's local date as a day number (days since 1970-01-01 of that calendar date). */
  today: number;
}

/**
 * Local days for one answer of the due list: "today" in each patient's zone is worked out once
 * per zone, not once per item. An item's state is then two comparisons, and days since a
 * procedure one time-zone lookup (the procedure's local date) and a subtraction. Time-zone
 * lookups (luxon, Intl) were most of the due list's CPU when every item did its own.
 */
export class LocalDays {
  private readonly zones = new Map<string, ZoneDay>();

  constructor(private readonly now: Date) {}

  /**
   * overdue: due before today; today: due today; upcoming: later (local days of the patient). A
   * snoozed item counts from the end of its snooze.
   */
  stateOf(item: { status: string; dueAt: Date; snoozedUntil: Date | null }, zone: string): FollowUpState {
    if (item.status === 'done') return 'done';
    const at = (item.snoozedUntil && item.snoozedUntil > item.dueAt ? item.snoozedUntil : item.dueAt).getTime();
    const day = this.zone(zone);
    if (at < day.todayStart) return 'overdue';
    if (at < day.tomorrowStart) return 'today';
    return 'upcoming';
  }

  /** Calendar days from `at`'s local date to today's, in `zone` (the day of `at` is day 0). */
  daysSince(at: Date, zone: string): number {
    return this.zone(zone).today - localDayNumber(at, zone);
  }

  private zone(zone: string): ZoneDay {
    let day = this.zones.get(zone);
    if (!day) {
      const start = DateTime.fromJSDate(this.now, { zone }).startOf('day');
      day = { todayStart: start.toMillis(), tomorrowStart: start.plus({ days: 1 }).toMillis(), today: Date.UTC(start.year, start.month - 1, start.day) / DAY_MS };
      this.zones.set(zone, day);
    }
    return day;
  }
}

/** The local calendar date of a moment in a zone, as a day number (exact across DST: calendar dates, not hours). */
function localDayNumber(at: Date, zone: string): number {
  const local = DateTime.fromJSDate(at, { zone });
  return Date.UTC(local.year, local.month - 1, local.day) / DAY_MS;
}
