/**
 * What the clinician's pages read from the API, typed as the gateway answers it
 * (libs/contracts/src/resources.ts and outcomes.ts: the web app is bundled on its own and does
 * not import server code, so the fields it uses are restated here), and the small helpers those
 * pages share: the clinic's zone, a local day's bounds, words for states.
 */
import { useApi } from '../hooks';
import { serverNow } from '../clock';

export interface Clinic {
  id: string;
  name: string;
  timezone: string;
}

export interface Clinician {
  id: string;
  name: string;
}

export type FollowUpKind = 'follow_up_visit' | 'repeat_evaluation' | 'attention' | 'booking_task';
export type FollowUpState = 'overdue' | 'today' | 'upcoming' | 'done';

export interface FollowUpItem {
  id: string;
  kind: FollowUpKind;
  state: FollowUpState;
  dueAt: string;
  patient: { id: string; name: string };
  clinicianId: string;
  carePlanId: string | null;
  reason: string | null;
  procedureDate: string | null;
  site: string | null;
  daysSinceProcedure: number | null;
  latestPainScore: number | null;
  latestPainScoreAt: string | null;
  painTrend: number[];
  painDirection: 'rising' | 'falling' | 'steady' | null;
  snoozedUntil: string | null;
  cause: string;
  evidence: { at: string; reason: string; score?: number; previousScore?: number | null }[];
  occurrences: number;
  completedAt: string | null;
  note: string | null;
  decision: { decision: 'repeat' | 'no_repeat' | 'reassess'; note: string | null } | null;
}

export interface FollowUpPage {
  items: FollowUpItem[];
  nextCursor: string | null;
}

export type StepStatus = 'scheduled' | 'sent' | 'done' | 'answered' | 'unanswered' | 'cancelled' | 'paused' | 'skipped' | 'superseded';
export type CarePlanStatus = 'active' | 'paused' | 'completed' | 'cancelled' | 'superseded';

export interface CarePlan {
  id: string;
  patientId: string;
  appointmentId: string;
  clinicianId: string;
  protocol: string;
  protocolVersion: number;
  status: CarePlanStatus;
  completedAt: string;
  site?: string | null;
  outcome?: string | null;
  statusReason?: string | null;
  steps: { id: string; key: string; kind: string; dueAt: string; status: StepStatus; firedAt: string | null }[];
}

export interface OutcomeScore {
  id: string;
  score: number;
  answeredAt: string;
  day: number;
}

export interface ProcedureOutcome {
  carePlanId: string;
  procedureType: string;
  protocol: string;
  procedureDate: string;
  site: string | null;
  timezone: string;
  scores: OutcomeScore[];
  baseline: (OutcomeScore & { source: string }) | null;
  week6: OutcomeScore | null;
  improvement: number | null;
  improved: boolean | null;
}

export interface PatientOutcomes {
  patientId: string;
  procedures: ProcedureOutcome[];
  unassignedScores: { id: string; score: number; answeredAt: string }[];
}

export type MessageStatus = 'scheduled' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'cancelled' | 'suppressed' | 'received';

export interface Message {
  id: string;
  channel: 'sms' | 'email';
  direction: 'outbound' | 'inbound';
  kind: string;
  status: MessageStatus;
  body: string;
  subject: string | null;
  sendAt: string | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  error: string | null;
  errorCode: string | null;
  statusHistory?: { status: MessageStatus; at: string; error: string | null; errorCode: string | null; source: string }[];
}

export type AppointmentStatus = 'booked' | 'confirmed' | 'checked_in' | 'completed' | 'cancelled' | 'no_show';

export interface Appointment {
  id: string;
  patientId: string;
  clinicianId: string;
  procedureType: string;
  startsAt: string;
  endsAt: string;
  status: AppointmentStatus;
  notes: string | null;
  site: string | null;
  completedAt: string | null;
}

export interface Patient {
  id: string;
  firstName: string;
  lastName: string;
  phone: string;
  email: string | null;
  timezone: string;
  preferredChannel: string;
  smsConsent: boolean;
  smsOptedOut: boolean;
  dateOfBirth: string | null;
}

export interface TimelineEntry {
  at: string;
  type: 'appointment' | 'message' | 'pain_score' | 'follow_up_item' | 'care_plan_step';
  data: unknown;
}

/** The clinic (its zone above all): every time on these pages is shown in it. */
export function useClinic() {
  return useApi<Clinic>('/api/clinic');
}

export function useClinicians() {
  return useApi<Clinician[]>('/api/clinicians');
}

/** Badge tones: the words carry the meaning, the colour only helps. */
export type Tone = 'neutral' | 'good' | 'warn' | 'bad' | 'info';

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
export function urgencyOf(item: Pick<FollowUpItem, 'kind' | 'state'>): Urgency {
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

export const APPOINTMENT_NAMES: Record<AppointmentStatus, string> = {
  booked: 'Booked',
  confirmed: 'Confirmed',
  checked_in: 'Checked in',
  completed: 'Completed',
  cancelled: 'Cancelled',
  no_show: 'No-show',
};

export const APPOINTMENT_TONES: Record<AppointmentStatus, Tone> = {
  booked: 'info',
  confirmed: 'info',
  checked_in: 'warn',
  completed: 'good',
  cancelled: 'neutral',
  no_show: 'bad',
};

/** The offset (ms) of `timeZone` from UTC at an instant: local wall time − UTC. */
function zoneOffset(at: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(at));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(at / 1000) * 1000;
}

/** The instant local midnight starts `date` ('YYYY-MM-DD') in `timeZone`, DST included. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  let at = wall - zoneOffset(wall, timeZone);
  // A second pass settles a day whose offset differs from the first guess's (a DST change).
  at = wall - zoneOffset(at, timeZone);
  return new Date(at);
}

/** The local date one day after `date`. */
export function nextDate(date: string, days = 1): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** [start, end) of a local day in the zone, as ISO instants for `from`/`to` queries. */
export function localDayBounds(date: string, timeZone: string): { from: string; to: string } {
  return { from: startOfLocalDay(date, timeZone).toISOString(), to: startOfLocalDay(nextDate(date), timeZone).toISOString() };
}
