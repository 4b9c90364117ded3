/**
 * Words and tones for what the clinician's pages show (follow-up items, care plans, messages,
 * appointments), and how urgent an item is. The shapes the API answers are the contracts'
 * (libs/contracts/src/resources.ts and outcomes.ts), imported as types.
 */
import type { AppointmentStatus, CarePlanStatus, FollowUpItemResource, FollowUpKind, FollowUpState, MessageStatus, StepStatus } from '@aftercare/contracts';
import { serverNow } from '../clock';
import type { Tone } from './ui';

export const KIND_NAMES: Record<FollowUpKind, string> = {
  follow_up_visit: 'Follow-up visit',
  repeat_evaluation: 'Repeat evaluation',
  attention: 'Attention',
  booking_task: 'Booking task',
};

export const STATE_NAMES: Record<FollowUpState, string> = { overdue: 'Overdue', today: 'Due today', upcoming: 'Upcoming', done: 'Done' };

export type Urgency = 'overdue' | 'today' | 'attention' | 'upcoming' | 'done';

/**
 * How urgent an item is, as the due list sorts it: an attention item that has come due comes
 * before everything (its own colour), the rest by state.
 */
export function urgencyOf(item: Pick<FollowUpItemResource, 'kind' | 'state'>): Urgency {
  if (item.state === 'done') return 'done';
  if (item.kind === 'attention' && item.state !== 'upcoming') return 'attention';
  return item.state;
}

export const URGENCY_TONES: Record<Urgency, Tone> = { overdue: 'bad', today: 'warn', attention: 'bad', upcoming: 'neutral', done: 'good' };

const DAY_MS = 86_400_000;

/** "3 days overdue", "5 hours overdue", "due in 2 days", "due now": against the server's clock. */
export function dueText(dueAt: string, now: Date = serverNow()): string {
  const diff = now.getTime() - Date.parse(dueAt);
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (diff >= DAY_MS) return `${plural(Math.floor(diff / DAY_MS), 'day')} overdue`;
  if (diff >= 3_600_000) return `${plural(Math.floor(diff / 3_600_000), 'hour')} overdue`;
  if (diff >= 0) return 'due now';
  const ahead = -diff;
  if (ahead >= DAY_MS) return `due in ${plural(Math.round(ahead / DAY_MS), 'day')}`;
  if (ahead >= 3_600_000) return `due in ${plural(Math.round(ahead / 3_600_000), 'hour')}`;
  return `due in ${plural(Math.max(1, Math.round(ahead / 60_000)), 'minute')}`;
}

export const STEP_TONES: Record<StepStatus, Tone> = {
  scheduled: 'info',
  sent: 'info',
  done: 'good',
  answered: 'good',
  unanswered: 'warn',
  cancelled: 'neutral',
  paused: 'warn',
  skipped: 'neutral',
  superseded: 'neutral',
  cancelling: 'warn',
};

export const PLAN_TONES: Record<CarePlanStatus, Tone> = { active: 'good', paused: 'warn', completed: 'neutral', cancelled: 'neutral', superseded: 'neutral' };

export const MESSAGE_TONES: Record<MessageStatus, Tone> = {
  scheduled: 'info',
  queued: 'info',
  sending: 'info',
  sent: 'info',
  delivered: 'good',
  received: 'good',
  undelivered: 'bad',
  failed: 'bad',
  cancelled: 'neutral',
  suppressed: 'warn',
};

/** With APPOINTMENT_STATUS_NAMES (words.ts). */
export const APPOINTMENT_TONES: Record<AppointmentStatus, Tone> = {
  booked: 'info',
  confirmed: 'info',
  checked_in: 'warn',
  completed: 'good',
  cancelled: 'neutral',
  no_show: 'bad',
};
