import type { Channel, Language, PreferredChannel, ServiceName } from './events.js';
import type { QueueName } from './jobs.js';

/**
 * Resource shapes of the HTTP API (PRODUCT.md, "Resource shapes") and the data of each
 * request pattern. The gateway validates HTTP input into these; services answer with them.
 * Times are ISO 8601 strings.
 */
export type AppointmentStatus = 'booked' | 'confirmed' | 'checked_in' | 'completed' | 'cancelled' | 'no_show';

export interface PatientResource {
  id: string;
  firstName: string;
  lastName: string;
  phone: string;
  email: string | null;
  timezone: string;
  preferredChannel: PreferredChannel;
  smsConsent: boolean;
  smsOptedOut: boolean;
  /** 'YYYY-MM-DD', or null when not recorded. */
  dateOfBirth: string | null;
  language: Language;
  createdAt: string;
  /** Other patients with the same phone number or e-mail address: likely the same person. */
  possibleDuplicates?: PossibleDuplicate[];
}

export interface PossibleDuplicate {
  id: string;
  name: string;
  matchedOn: ('phone' | 'email')[];
}

/** Wall-clock hours per weekday (1 = Monday … 7 = Sunday), 'HH:mm' in the clinic's zone. */
export type WeeklyHoursData = Partial<Record<'1' | '2' | '3' | '4' | '5' | '6' | '7', { start: string; end: string }[]>>;

export interface ClinicSettingsResource {
  id: string;
  name: string;
  timezone: string;
  phone: string;
  email: string | null;
  openingHours: WeeklyHoursData;
  /** Slots start on multiples of this many minutes after local midnight. */
  gridMinutes: number;
}

/** A closure or holiday: the whole clinic is closed in [startsAt, endsAt). */
export interface ClosureResource {
  id: string;
  startsAt: string;
  endsAt: string;
  reason: string;
}

export interface ClinicianResource {
  id: string;
  name: string;
}

export interface ClinicianDetailResource extends ClinicianResource {
  email: string | null;
  weeklyHours: WeeklyHoursData;
  active: boolean;
}

export interface TimeOffResource {
  id: string;
  clinicianId: string;
  startsAt: string;
  endsAt: string;
  reason: string | null;
}

/** A room or a piece of equipment that a procedure needs for its whole time (and its buffer). */
export interface ClinicResourceResource {
  id: string;
  kind: 'room' | 'equipment';
  /** What it is, e.g. 'procedure_room', 'consultation_room', 'centrifuge'. */
  category: string;
  name: string;
  /** What it has, e.g. ['ultrasound']. */
  features: string[];
  active: boolean;
}

/** One resource a procedure needs: any active resource of that category with all the features. */
export interface ResourceRequirement {
  category: string;
  features?: string[];
}

export interface ProcedureTypeResource {
  code: string;
  name: string;
  durationMinutes: number;
  bufferAfterMinutes: number;
  requires: ResourceRequirement[];
}

export interface AppointmentResource {
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
  createdAt: string;
  /** Rooms and equipment held for it (with its buffer). */
  resourceIds: string[];
  /** iCalendar SEQUENCE: grows with every change. */
  sequence: number;
}

export interface SlotResource {
  clinicianId: string;
  startsAt: string;
  endsAt: string;
  /** The rooms and equipment that would be held (one per requirement). */
  resourceIds: string[];
}

/** One row of the day sheet: an appointment with the names a front desk reads. */
export interface DaySheetAppointment {
  id: string;
  startsAt: string;
  endsAt: string;
  status: AppointmentStatus;
  procedureType: string;
  procedureName: string;
  patient: { id: string; name: string; phone: string };
  clinician: { id: string; name: string };
  resources: { id: string; name: string }[];
}

export interface DaySheetResource {
  /** The clinic's local date, 'YYYY-MM-DD'. */
  date: string;
  timezone: string;
  clinicians: { id: string; name: string; appointments: DaySheetAppointment[] }[];
  resources: { id: string; name: string; kind: 'room' | 'equipment'; appointments: DaySheetAppointment[] }[];
}

export type WaitlistStatus = 'waiting' | 'offered' | 'booked' | 'cancelled' | 'expired';
export type WaitlistOfferStatus = 'pending' | 'accepted' | 'taken' | 'expired' | 'withdrawn';

export interface WaitlistOfferResource {
  id: string;
  clinicianId: string;
  startsAt: string;
  endsAt: string;
  status: WaitlistOfferStatus;
  expiresAt: string;
  appointmentId: string | null;
  createdAt: string;
}

export interface WaitlistEntryResource {
  id: string;
  patient: { id: string; name: string };
  procedureType: string;
  /** Only this clinician, or null for any. */
  clinicianId: string | null;
  /** Local dates 'YYYY-MM-DD' (inclusive) in the clinic's zone. */
  earliestDate: string;
  latestDate: string;
  status: WaitlistStatus;
  notes: string | null;
  appointmentId: string | null;
  createdAt: string;
  offers: WaitlistOfferResource[];
}

export type BookingTaskSource =
  | 'follow_up_visit'
  | 'repeat_injection'
  | 'reschedule_request'
  | 'rebook'
  /** No message reached the patient: call them. */
  | 'call_patient'
  /** The patient's text asked to stop messages without the STOP keyword: confirm and record it. */
  | 'confirm_opt_out';

/** The front desk's work: book this, for this patient, by then. No clinical answers in here. */
export interface BookingTaskResource {
  id: string;
  state: 'open' | 'done';
  source: BookingTaskSource;
  patient: { id: string; name: string };
  /** The clinician to book with; null when no clinician follows the patient yet (a call). */
  clinicianId: string | null;
  /** What to book; null for a call or an opt-out to confirm. */
  procedureType: string | null;
  /** Book it for a time no later than this (ISO). */
  bookBy: string;
  /** For a reschedule request or a missed visit: the appointment concerned. */
  appointmentId: string | null;
  reason: string;
  createdAt: string;
  completedAt: string | null;
}

export type StepKind = 'aftercare' | 'checkin' | 'follow_up_visit' | 'repeat_evaluation';
/**
 * paused: waits for its plan to resume; skipped: came due while the plan was paused and was not
 * sent (see the care plan lifecycle); superseded: a new procedure's plan took over.
 */
/** `cancelling`: a follow-up visit step whose plan ended while its visit may have been booked; the visit is being cancelled. */
export type StepStatus = 'scheduled' | 'sent' | 'done' | 'answered' | 'unanswered' | 'cancelled' | 'paused' | 'skipped' | 'superseded' | 'cancelling';
export type CarePlanStatus = 'active' | 'paused' | 'completed' | 'cancelled' | 'superseded';

export interface CarePlanStepResource {
  id: string;
  key: string;
  kind: StepKind;
  dueAt: string;
  status: StepStatus;
  firedAt: string | null;
}

export interface CarePlanResource {
  id: string;
  patientId: string;
  appointmentId: string;
  clinicianId: string;
  protocol: string;
  protocolVersion: number;
  status: CarePlanStatus;
  completedAt: string;
  steps: CarePlanStepResource[];
  site?: string | null;
  condition?: string | null;
  /** Why the plan ended or is paused: 'no_repeat', 'cancelled', 'superseded', ... */
  outcome?: string | null;
  /** The reason given with the last pause, resume or cancel. */
  statusReason?: string | null;
  pausedAt?: string | null;
  closedAt?: string | null;
  /** The plan of the patient's new procedure that took over this one. */
  supersededBy?: string | null;
  /** Every status change: who, when, why. */
  changes?: CarePlanChangeResource[];
}

export interface CarePlanChangeResource {
  action: 'pause' | 'resume' | 'cancel' | 'supersede';
  fromStatus: CarePlanStatus;
  toStatus: CarePlanStatus;
  reason: string | null;
  /** Null when the system made the change (a new procedure superseded the plan). */
  userId: string | null;
  at: string;
  details: Record<string, unknown> | null;
}

// ---- protocols (followup) ----

export type ProtocolStepKind = StepKind;

/**
 * One step of a protocol. The offset from the procedure's completion is `{ days, hours, minutes }`
 * or, on input, an ISO 8601 duration of weeks, days, hours, minutes ('P3D', 'PT2H', 'P2W');
 * stored and answered as the object.
 */
export interface ProtocolStepData {
  key: string;
  kind: ProtocolStepKind;
  offset: { days?: number; hours?: number; minutes?: number } | string;
  /** Local time of day 'HH:mm' in the patient's zone. */
  at?: string;
  /** follow_up_visit only: the booking window, in days after the procedure. */
  window?: { fromDays: number; toDays: number };
  /** follow_up_visit only: book (and tell the patient) this many days before the window opens. */
  bookAheadDays?: number;
}

export interface ProtocolVersionResource {
  version: number;
  name: string;
  steps: ProtocolStepData[];
  note: string | null;
  createdAt: string;
  createdBy: string | null;
}

export interface ProtocolResource {
  code: string;
  name: string;
  procedureType: string;
  site: string | null;
  condition: string | null;
  active: boolean;
  /** The version new care plans start from. */
  version: number;
  steps: ProtocolStepData[];
  updatedAt: string;
  /** GET /api/protocols/:code only: every version, newest first. */
  versions?: ProtocolVersionResource[];
}

export interface ListProtocolsData {
  procedureType?: string;
  active?: boolean;
}
export interface CreateProtocolData {
  code: string;
  name: string;
  procedureType: string;
  site?: string | null;
  condition?: string | null;
  steps: ProtocolStepData[];
  note?: string | null;
}
export interface AddProtocolVersionData {
  code: string;
  name?: string;
  steps: ProtocolStepData[];
  note?: string | null;
}
export interface SetProtocolActiveData {
  code: string;
  active: boolean;
}
export interface ProtocolCodeData {
  code: string;
}
/** Pause, resume or cancel a care plan. */
export interface CarePlanChangeData {
  id: string;
  reason: string | null;
}

export type FollowUpKind = 'follow_up_visit' | 'repeat_evaluation' | 'attention' | 'booking_task';
export type FollowUpState = 'overdue' | 'today' | 'upcoming' | 'done';

export interface PainScoreResource {
  score: number;
  answeredAt: string;
  stepId: string | null;
  messageId: string;
}

export interface FollowUpItemResource {
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
  painTrend: number[];
  completedAt: string | null;
  note: string | null;
  decision: FollowUpDecision | null;
  /** When the score was answered, and its direction against the previous answer. */
  latestPainScoreAt: string | null;
  painDirection: PainDirection | null;
  /** The item leaves today/overdue until then (ISO); null when not snoozed. */
  snoozedUntil: string | null;
  /** Attention items: the rule or text that raised it, newest evidence first, and how often it fired. */
  cause: string;
  evidence: AttentionEvidenceResource[];
  occurrences: number;
  createdAt: string;
  updatedAt: string | null;
}

/** Pain went up, down or stayed the same between the last two answers. */
export type PainDirection = 'rising' | 'falling' | 'steady';

export interface AttentionEvidenceResource {
  at: string;
  reason: string;
  score?: number;
  previousScore?: number | null;
}

/** The clinician's decision on a repeat-injection evaluation. */
export type RepeatDecision = 'repeat' | 'no_repeat' | 'reassess';
export interface FollowUpDecision {
  decision: RepeatDecision;
  /** Kept for clients of the first API: true only for `repeat`. */
  repeatInjection: boolean;
  note: string | null;
  /** repeat: book the injection by then (ISO). */
  bookBy?: string;
  /** reassess: the new evaluation step's due time (ISO) and the weeks asked for. */
  reassessAt?: string;
  reassessInWeeks?: number;
  /** no_repeat: the plan's outcome. */
  outcome?: string;
}

export type ItemActionKind = 'raised' | 'evidence' | 'completed' | 'snoozed' | 'reassigned' | 'decided';

/** One audited action on a due-list item. */
export interface ItemActionResource {
  id: string;
  action: ItemActionKind;
  at: string;
  /** The user who acted; null for the system. */
  actorId: string | null;
  actorRole: string;
  note: string | null;
  details: Record<string, unknown>;
}

export interface FollowUpItemDetailResource extends FollowUpItemResource {
  history: ItemActionResource[];
  /** The plan's pain scores, oldest first. */
  painScores: { score: number; answeredAt: string }[];
}

/** One page of the due list. `nextCursor` is null on the last page. */
export interface FollowUpPage {
  items: FollowUpItemResource[];
  nextCursor: string | null;
}

/**
 * How many open items the due list holds in each state, for the same clinician and kind filters
 * (GET /api/follow-ups/counts): overdue + today + upcoming = open; `attention` counts the open
 * attention items, whatever their state.
 */
export interface FollowUpCountsResource {
  overdue: number;
  today: number;
  upcoming: number;
  attention: number;
  open: number;
}

/**
 * A clinic's escalation rules (PRODUCT.md defaults: 8, 3, 2, free text on, no e-mail). A null
 * threshold turns its rule off.
 */
export interface EscalationRulesResource {
  highScore: number | null;
  riseBy: number | null;
  missedInARow: number | null;
  /**
   * Hours a check-in waits for its answer before it counts as missed (default 48; 1 to 336), or
   * until the next check-in goes out if that is sooner; null: only then.
   */
  answerWindowHours: number | null;
  /** A text that is no keyword and no score goes to the clinician (off: to the front desk as a call). */
  freeText: boolean;
  /** E-mail the clinician when a new attention item is raised (no diagnosis, ids only). */
  emailAlerts: boolean;
  updatedAt: string | null;
  updatedBy: string | null;
}

export type MessageStatus = 'scheduled' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'cancelled' | 'suppressed' | 'received';

export interface MessageResource {
  id: string;
  patientId: string | null;
  channel: Channel;
  direction: 'outbound' | 'inbound';
  kind: string;
  status: MessageStatus;
  body: string;
  subject: string | null;
  sendAt: string | null;
  createdAt: string;
  sentAt: string | null;
  error: string | null;
  errorCode: string | null;
  deliveredAt: string | null;
  attempts: number;
  /** The message this one stands in for (an e-mail sent because the SMS could not go). */
  fallbackOf: string | null;
  /** The carrier reported the patient's number cannot get SMS (Twilio 30003/30005/30006). */
  numberUndeliverable: boolean;
  /** Every status change, oldest first, with the error of the change and who made it. */
  statusHistory: MessageStatusChange[];
}

export interface MessageStatusChange {
  status: MessageStatus;
  at: string;
  errorCode: string | null;
  error: string | null;
  source: 'sender' | 'provider' | 'system' | 'migration';
}

export interface TimelineEntry {
  at: string;
  type: 'appointment' | 'message' | 'pain_score' | 'follow_up_item' | 'care_plan_step';
  data: unknown;
}

// ---- request data of the patterns ----

export interface CreatePatientData {
  firstName: string;
  lastName: string;
  phone: string;
  email?: string | null;
  timezone: string;
  preferredChannel: PreferredChannel;
  smsConsent: boolean;
  dateOfBirth?: string | null;
  language?: Language;
}
export interface ListPatientsData {
  /** Name, phone or e-mail (parts of them). */
  query?: string;
  /** 'YYYY-MM-DD' */
  dateOfBirth?: string;
  /** Page size; with it (or a cursor) the answer is a PatientPage. */
  limit?: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}
export interface PatientPage {
  items: PatientResource[];
  nextCursor: string | null;
}
export interface PatientDuplicatesData {
  phone?: string;
  email?: string;
  /** Leave this patient out (when editing them). */
  excludeId?: string;
}
export interface ByIdData {
  id: string;
}
export interface AvailabilityData {
  clinicianId?: string;
  procedureType: string;
  from: string;
  to: string;
  /** Leave out times when this patient is already booked. */
  patientId?: string;
  limit?: number;
}
export interface BookAppointmentData {
  patientId: string;
  clinicianId: string;
  procedureType: string;
  startsAt: string;
  notes?: string | null;
  idempotencyKey?: string | null;
  /** The booking task this answers (followup closes it). */
  bookingTaskId?: string | null;
}
export interface UpdateClinicData {
  name?: string;
  timezone?: string;
  phone?: string;
  email?: string | null;
  openingHours?: WeeklyHoursData;
  gridMinutes?: number;
}
/** Either a time range, or whole local days (a holiday): `date` through `throughDate` (default `date`). */
export interface CreateClosureData {
  startsAt?: string;
  endsAt?: string;
  date?: string;
  throughDate?: string;
  reason: string;
}
export interface ListRangeData {
  from?: string;
  to?: string;
}
export interface CreateClinicianData {
  name: string;
  email?: string | null;
  weeklyHours: WeeklyHoursData;
}
export interface UpdateClinicianData {
  id: string;
  name?: string;
  email?: string | null;
  weeklyHours?: WeeklyHoursData;
  active?: boolean;
}
export interface ListTimeOffData extends ListRangeData {
  clinicianId?: string;
}
export interface CreateTimeOffData {
  clinicianId: string;
  startsAt: string;
  endsAt: string;
  reason?: string | null;
}
export interface CreateResourceData {
  kind: 'room' | 'equipment';
  category: string;
  name: string;
  features?: string[];
}
export interface UpdateResourceData {
  id: string;
  name?: string;
  features?: string[];
  active?: boolean;
}
export interface CreateProcedureTypeData {
  code: string;
  name: string;
  durationMinutes: number;
  bufferAfterMinutes?: number;
  requires?: ResourceRequirement[];
}
export interface UpdateProcedureTypeData {
  code: string;
  name?: string;
  durationMinutes?: number;
  bufferAfterMinutes?: number;
  requires?: ResourceRequirement[];
}
export interface DaySheetData {
  /** The clinic's local date 'YYYY-MM-DD'. */
  date: string;
}
export interface CreateWaitlistEntryData {
  patientId: string;
  procedureType: string;
  clinicianId?: string | null;
  earliestDate: string;
  latestDate: string;
  notes?: string | null;
}
export interface ListWaitlistData {
  status?: WaitlistStatus;
  procedureType?: string;
  patientId?: string;
  /** Page size; with it (or a cursor) the answer is a WaitlistPage. */
  limit?: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}
export interface WaitlistPage {
  items: WaitlistEntryResource[];
  nextCursor: string | null;
}
export interface ListBookingTasksData {
  state?: 'open' | 'done';
  patientId?: string;
}
export interface ListAppointmentsData {
  from?: string;
  to?: string;
  clinicianId?: string;
  patientId?: string;
  /** Page size; with it (or a cursor) the answer is an AppointmentPage. */
  limit?: number;
  /** The nextCursor of the previous page (same filters). */
  cursor?: string;
}
/** A page of appointments in time order; nextCursor null on the last page. */
export interface AppointmentPage {
  items: AppointmentResource[];
  nextCursor: string | null;
}
export interface RescheduleData {
  id: string;
  startsAt: string;
}
export interface CancelData {
  id: string;
  reason?: string | null;
}
export interface CompleteData {
  id: string;
  notes?: string | null;
  site?: string | null;
}
export interface BookInWindowData {
  patientId: string;
  clinicianId: string;
  procedureType: string;
  windowStart: string;
  windowEnd: string;
  /** Makes a retried request book nothing new (the care-plan step id). */
  idempotencyKey: string;
  /** Only the visit booked under idempotencyKey, if any: book nothing (its plan has ended). */
  existingOnly?: boolean | null;
}
export interface BookInWindowResult {
  appointment: AppointmentResource | null;
}
export interface ListFollowUpsData {
  clinicianId?: string;
  kind?: FollowUpKind;
  state?: FollowUpState | 'open';
  /** Page size (default 50, at most 200); with it or a cursor, the answer is a FollowUpPage. */
  limit?: number;
  /** The previous page's nextCursor. */
  cursor?: string;
  /** Answer a page ({ items, nextCursor }) rather than an array. */
  paged?: boolean;
}
/** The due list's filters that the counts take (no state: every state is counted). */
export interface FollowUpCountsData {
  clinicianId?: string;
  kind?: FollowUpKind;
}
export interface SnoozeFollowUpData {
  id: string;
  /** ISO date-time with offset, or a local date 'YYYY-MM-DD' (the start of that day in the patient's zone). */
  until: string;
  note?: string | null;
}
export interface ReassignFollowUpData {
  id: string;
  clinicianId: string;
  note?: string | null;
}
/** PUT: a field left out keeps its current value; a null threshold turns its rule off. */
export type PutEscalationRulesData = Partial<Omit<EscalationRulesResource, 'updatedAt' | 'updatedBy'>>;
export interface CompleteFollowUpData {
  id: string;
  note?: string | null;
  /** The item's `occurrences` as the clinician saw it: more by now is a 409 (new evidence, unseen). */
  seenOccurrences?: number;
}
/**
 * A decision on a repeat evaluation: `decision`, or (the first API) `repeatInjection`
 * (true = repeat, false = no_repeat).
 */
export interface DecideData {
  id: string;
  decision?: RepeatDecision;
  repeatInjection?: boolean;
  note?: string | null;
  /** repeat: book by (ISO date-time or local date 'YYYY-MM-DD'); default four weeks. */
  bookBy?: string | null;
  /** reassess: in this many weeks (1–26). */
  reassessInWeeks?: number | null;
  /** no_repeat: the plan's outcome (default 'no_repeat'). */
  outcome?: string | null;
}
export interface ListCarePlansData {
  patientId?: string;
  /** Page size; with it (or a cursor) the answer is a CarePlanPage. */
  limit?: number;
  /** The nextCursor of the previous page. */
  cursor?: string;
}
export interface CarePlanPage {
  items: CarePlanResource[];
  nextCursor: string | null;
}
export interface ListMessagesData {
  patientId?: string;
  status?: MessageStatus;
  /** At most this many, newest first (default 100, at most 500). */
  limit?: number;
  /** The next page: the `createdAt` and `id` of the last message shown, "2026-01-12T14:00:00.000Z_<id>". */
  before?: string;
}

// ---- message templates (notifications) ----

/** The parts of a message template an admin edits. */
export type TemplatePart = 'smsBody' | 'emailSubject' | 'emailBody';

/** One message kind in one language as the clinic sends it: its override, or the default. */
export interface MessageTemplateResource {
  kind: string;
  language: Language;
  smsBody: string;
  /** Null for SMS-only kinds (answers to a patient's text). */
  emailSubject: string | null;
  emailBody: string | null;
  /** Which parts are the clinic's own; the others are the defaults. */
  overridden: Record<TemplatePart, boolean>;
  defaults: { smsBody: string; emailSubject: string | null; emailBody: string | null };
  /** The variables this kind's texts may use, as `{{name}}`. */
  variables: string[];
  /** The SMS size with the longest allowed values. */
  sms: { segments: number; encoding: 'GSM-7' | 'UCS-2' };
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface ListTemplatesData {
  kind?: string;
  language?: Language;
}
export interface TemplateKeyData {
  kind: string;
  language: Language;
}
/** PUT replaces the clinic's override; a part left out (or null) uses the default. */
export interface PutTemplateData extends TemplateKeyData {
  smsBody?: string | null;
  emailSubject?: string | null;
  emailBody?: string | null;
}
/** Parts left out preview the clinic's current text; values left out use samples. */
export interface TemplatePreviewData extends TemplateKeyData {
  smsBody?: string;
  emailSubject?: string;
  emailBody?: string;
  values?: Record<string, string>;
}

export interface TemplateProblemResource {
  field: TemplatePart;
  /** Stable rule name, e.g. names_clinic, opt_out, clinical_terms, segments. */
  rule: string;
  message: string;
}

export interface TemplatePreviewResource {
  kind: string;
  language: Language;
  sms: { text: string; segments: number; encoding: 'GSM-7' | 'UCS-2'; characters: number };
  email: { subject: string; body: string } | null;
  values: Record<string, string>;
  problems: TemplateProblemResource[];
}

/**
 * One BullMQ queue as its owning service counts it (GET /api/admin/queues). When the owner does
 * not answer, the counts are null and `error` says why: the other queues are still shown.
 */
export interface QueueHealthResource {
  name: QueueName;
  service: Exclude<ServiceName, 'gateway'>;
  /** Ready to run now (BullMQ's wait and prioritized lists). */
  waiting: number | null;
  /** Waiting for their time (a reminder next week, a send's backoff). */
  delayed: number | null;
  active: number | null;
  /** Out of attempts, or refused for good; kept 30 days (DEFAULT_JOB_OPTIONS). */
  failed: number | null;
  /** Kept 7 days (DEFAULT_JOB_OPTIONS). */
  completed: number | null;
  paused: boolean | null;
  error?: string;
}

/** `{ name }` of one queue, e.g. '{care-plan-steps}'. */
export interface QueueNameData {
  name: QueueName;
}

/** How many failed jobs were moved back to wait for a fresh round of attempts. */
export interface RetryFailedJobsResource {
  name: QueueName;
  retried: number;
}

/** The states of a queue's jobs the admin can list (BullMQ's wait and prioritized lists are `waiting`). */
export const QUEUE_JOB_STATES = ['waiting', 'delayed', 'active', 'failed', 'completed'] as const;
export type QueueJobState = (typeof QUEUE_JOB_STATES)[number];
/** The most jobs one page of GET /api/admin/queues/:name/jobs lists. */
export const QUEUE_JOBS_PAGE_MAX = 100;

/**
 * One BullMQ job as the admin's queue page lists it. `data` is the job's payload as queued: ids
 * only (a message's or a care-plan step's row id), never patient data.
 */
export interface QueueJobResource {
  id: string;
  name: string;
  state: QueueJobState | 'unknown';
  data: Record<string, unknown>;
  createdAt: string;
  /** When a delayed job is due to run (its creation or last move plus its delay). */
  dueAt: string | null;
  attemptsMade: number;
  attemptsAllowed: number;
  /** When its last attempt started. */
  startedAt: string | null;
  /** When it completed or failed for good. */
  finishedAt: string | null;
  failedReason: string | null;
}

/** A job with the stack of its last failure (the service's code, not the patient's data). */
export interface QueueJobDetailResource extends QueueJobResource {
  queue: QueueName;
  stacktrace: string[];
}

/** `{ name, state, offset, limit }`: one page of a queue's jobs in one state (admin). */
export interface QueueJobsQueryData {
  name: QueueName;
  state: QueueJobState;
  offset: number;
  limit: number;
}

/** A page of jobs; `total` counts the jobs in that state, for paging. */
export interface QueueJobsPageResource {
  name: QueueName;
  state: QueueJobState;
  offset: number;
  limit: number;
  total: number;
  items: QueueJobResource[];
}

/** `{ name, id }`: one job of a queue. */
export interface QueueJobData {
  name: QueueName;
  id: string;
}
