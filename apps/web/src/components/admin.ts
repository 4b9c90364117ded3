/**
 * What the admin's pages read from the API, typed as the gateway answers it
 * (libs/contracts/src/resources.ts, apps/gateway/src/users and dev-clock): the web app is
 * bundled on its own and does not import server code, so the fields used are restated here.
 */
import type { Role } from '../api';
import type { ResourceRequirement } from './clinic-setup';
import type { ProtocolStep } from './protocol-steps';
import type { TemplatePart } from './template-edit';
import type { WeeklyHours } from './weekly-hours';

export interface UserResource {
  id: string;
  email: string;
  name: string;
  role: Role;
  clinicianId: string | null;
  disabled: boolean;
  createdAt: string;
}

export interface ClinicSettings {
  id: string;
  name: string;
  timezone: string;
  phone: string;
  email: string | null;
  openingHours: WeeklyHours;
  gridMinutes: number;
}

export interface Closure {
  id: string;
  startsAt: string;
  endsAt: string;
  reason: string;
}

export interface ClinicianSummary {
  id: string;
  name: string;
}

export interface ClinicianDetail extends ClinicianSummary {
  email: string | null;
  weeklyHours: WeeklyHours;
  active: boolean;
}

export interface TimeOff {
  id: string;
  clinicianId: string;
  startsAt: string;
  endsAt: string;
  reason: string | null;
}

export interface ClinicResource {
  id: string;
  kind: 'room' | 'equipment';
  category: string;
  name: string;
  features: string[];
  active: boolean;
}

export interface ProcedureType {
  code: string;
  name: string;
  durationMinutes: number;
  bufferAfterMinutes: number;
  requires: ResourceRequirement[];
}

/** Closures, time off and clinician hours answer with the appointments they collide with (which stay booked). */
export interface WithConflicts {
  conflictingAppointmentIds?: string[];
}

export interface ProtocolVersion {
  version: number;
  name: string;
  steps: ProtocolStep[];
  note: string | null;
  createdAt: string;
  createdBy: string | null;
}

export interface Protocol {
  code: string;
  name: string;
  procedureType: string;
  site: string | null;
  condition: string | null;
  active: boolean;
  version: number;
  steps: ProtocolStep[];
  updatedAt: string;
  versions?: ProtocolVersion[];
}

export const CONDITIONS = ['osteoarthritis', 'fracture', 'osteonecrosis', 'cartilage_injury', 'tendon_injury', 'ligament_injury'] as const;

export interface MessageTemplate {
  kind: string;
  language: string;
  smsBody: string;
  emailSubject: string | null;
  emailBody: string | null;
  overridden: Record<TemplatePart, boolean>;
  defaults: { smsBody: string; emailSubject: string | null; emailBody: string | null };
  variables: string[];
  sms: { segments: number; encoding: 'GSM-7' | 'UCS-2' };
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface TemplatePreview {
  kind: string;
  language: string;
  sms: { text: string; segments: number; encoding: 'GSM-7' | 'UCS-2'; characters: number };
  email: { subject: string; body: string } | null;
  values: Record<string, string>;
  problems: { field: TemplatePart; rule: string; message: string }[];
}

export interface QueueHealth {
  name: string;
  service: string;
  waiting: number | null;
  delayed: number | null;
  active: number | null;
  failed: number | null;
  completed: number | null;
  paused: boolean | null;
  error?: string;
}

export type MessageStatus = 'scheduled' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'cancelled' | 'suppressed' | 'received';

export interface FailedMessage {
  id: string;
  patientId: string | null;
  channel: 'sms' | 'email';
  direction: 'outbound' | 'inbound';
  kind: string;
  status: MessageStatus;
  createdAt: string;
  sentAt: string | null;
  error: string | null;
  errorCode: string | null;
  attempts: number;
  numberUndeliverable?: boolean;
  statusHistory: { status: MessageStatus; at: string; error: string | null; errorCode: string | null; source: string }[];
}

export interface ClockReading {
  now: string;
  offsetMs: number;
}

export interface AdvanceResult {
  now: string;
  ranDueTimes: number;
  stuck: { service: string; dueAt: string; reason: string }[];
}
