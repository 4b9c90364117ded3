import type { Channel, PreferredChannel } from './events.js';

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
  createdAt: string;
}

export interface ClinicianResource {
  id: string;
  name: string;
}

export interface ProcedureTypeResource {
  code: string;
  name: string;
  durationMinutes: number;
  bufferAfterMinutes: number;
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
}

export interface SlotResource {
  clinicianId: string;
  startsAt: string;
  endsAt: string;
}

export type StepKind = 'aftercare' | 'checkin' | 'follow_up_visit' | 'repeat_evaluation';
export type StepStatus = 'scheduled' | 'sent' | 'done' | 'answered' | 'unanswered' | 'cancelled';

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
  status: 'active' | 'completed' | 'cancelled';
  completedAt: string;
  steps: CarePlanStepResource[];
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
  decision: { repeatInjection: boolean; note: string | null } | null;
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
}
export interface ListPatientsData {
  query?: string;
}
export interface ByIdData {
  id: string;
}
export interface AvailabilityData {
  clinicianId?: string;
  procedureType: string;
  from: string;
  to: string;
}
export interface BookAppointmentData {
  patientId: string;
  clinicianId: string;
  procedureType: string;
  startsAt: string;
  notes?: string | null;
  idempotencyKey?: string | null;
}
export interface ListAppointmentsData {
  from?: string;
  to?: string;
  clinicianId?: string;
  patientId?: string;
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
}
export interface BookInWindowResult {
  appointment: AppointmentResource | null;
}
export interface ListFollowUpsData {
  clinicianId?: string;
  kind?: FollowUpKind;
  state?: FollowUpState | 'open';
}
export interface CompleteFollowUpData {
  id: string;
  note?: string | null;
}
export interface DecideData {
  id: string;
  repeatInjection: boolean;
  note?: string | null;
}
export interface ListCarePlansData {
  patientId?: string;
}
export interface ListMessagesData {
  patientId?: string;
}
