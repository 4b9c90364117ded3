import type { ServiceName } from './events.js';
import { QUEUES, type QueueName } from './jobs.js';

/** Who is asking: carried with every request from the gateway to a service. */
export interface RequestContext {
  clinicId: string;
  userId: string | null;
  role: Role | 'system';
  /** The clinician this user is, when the user is a clinician. */
  clinicianId: string | null;
  correlationId: string;
}

export type Role = 'front_desk' | 'clinician' | 'admin';
export const ROLES: readonly Role[] = ['front_desk', 'clinician', 'admin'];

export interface RpcRequest<T = unknown> {
  ctx: RequestContext;
  data: T;
}

/** What a service sends back instead of a result when a request cannot be done. */
export interface RpcErrorBody {
  statusCode: number;
  code: string;
  message: string;
  field?: string;
}

/** Request/response message patterns, served over the Redis transport. */
export const PATTERNS = {
  scheduling: {
    clinicGet: 'scheduling.clinic.get',
    clinicUpdate: 'scheduling.clinic.update',
    closuresList: 'scheduling.closures.list',
    closuresCreate: 'scheduling.closures.create',
    closuresDelete: 'scheduling.closures.delete',
    cliniciansList: 'scheduling.clinicians.list',
    cliniciansGet: 'scheduling.clinicians.get',
    cliniciansCreate: 'scheduling.clinicians.create',
    cliniciansUpdate: 'scheduling.clinicians.update',
    timeOffList: 'scheduling.time-off.list',
    timeOffCreate: 'scheduling.time-off.create',
    timeOffDelete: 'scheduling.time-off.delete',
    resourcesList: 'scheduling.resources.list',
    resourcesCreate: 'scheduling.resources.create',
    resourcesUpdate: 'scheduling.resources.update',
    procedureTypesList: 'scheduling.procedure-types.list',
    procedureTypesCreate: 'scheduling.procedure-types.create',
    procedureTypesUpdate: 'scheduling.procedure-types.update',
    patientsCreate: 'scheduling.patients.create',
    patientsList: 'scheduling.patients.list',
    patientsGet: 'scheduling.patients.get',
    /** Patients sharing a phone number or e-mail address (the "likely duplicate" warning). */
    patientsDuplicates: 'scheduling.patients.duplicates',
    daySheet: 'scheduling.day-sheet',
    waitlistCreate: 'scheduling.waitlist.create',
    waitlistList: 'scheduling.waitlist.list',
    waitlistCancel: 'scheduling.waitlist.cancel',
    availabilitySearch: 'scheduling.availability.search',
    appointmentsBook: 'scheduling.appointments.book',
    appointmentsList: 'scheduling.appointments.list',
    appointmentsGet: 'scheduling.appointments.get',
    appointmentsReschedule: 'scheduling.appointments.reschedule',
    appointmentsCancel: 'scheduling.appointments.cancel',
    appointmentsNoShow: 'scheduling.appointments.no-show',
    appointmentsCheckIn: 'scheduling.appointments.check-in',
    appointmentsComplete: 'scheduling.appointments.complete',
    /** Book the first free slot of a window (the care plan's follow-up visit). */
    appointmentsBookInWindow: 'scheduling.appointments.book-in-window',
    /** Job counts of the service's queues (QUEUE_OWNERS), and moving their failed jobs back (admin). */
    queuesHealth: 'scheduling.queues.health',
    queuesRetryFailed: 'scheduling.queues.retry-failed',
    /** A page of the queue's jobs in one state, one job, retrying one failed job, pausing and resuming the queue (admin). */
    queuesJobs: 'scheduling.queues.jobs',
    queuesJob: 'scheduling.queues.job',
    queuesRetryJob: 'scheduling.queues.retry-job',
    queuesPause: 'scheduling.queues.pause',
    queuesResume: 'scheduling.queues.resume',
  },
  followup: {
    itemsList: 'followup.items.list',
    /** How many open items the due list holds per state (overdue, today, upcoming), and attention. */
    itemsCounts: 'followup.items.counts',
    /** The front desk's list: what to book, for whom, by when. */
    bookingTasksList: 'followup.booking-tasks.list',
    /** The front desk closes a task it has done (a call made, an opt-out recorded). */
    bookingTasksComplete: 'followup.booking-tasks.complete',
    itemsComplete: 'followup.items.complete',
    itemsDecide: 'followup.items.decide',
    /** One item with its audited history. */
    itemsGet: 'followup.items.get',
    itemsSnooze: 'followup.items.snooze',
    itemsReassign: 'followup.items.reassign',
    /** The clinic's escalation rules (admin). */
    escalationRulesGet: 'followup.escalation-rules.get',
    escalationRulesPut: 'followup.escalation-rules.put',
    carePlansList: 'followup.care-plans.list',
    carePlansGet: 'followup.care-plans.get',
    carePlansPause: 'followup.care-plans.pause',
    carePlansResume: 'followup.care-plans.resume',
    carePlansCancel: 'followup.care-plans.cancel',
    protocolsList: 'followup.protocols.list',
    protocolsGet: 'followup.protocols.get',
    protocolsCreate: 'followup.protocols.create',
    protocolsAddVersion: 'followup.protocols.add-version',
    protocolsSetActive: 'followup.protocols.set-active',
    timeline: 'followup.timeline',
    /** A patient's pain scores against days since each procedure. */
    outcomesPatient: 'followup.outcomes.patient',
    /** Improvement at week 6 and re-injections, per clinician and protocol. */
    outcomesSummary: 'followup.outcomes.summary',
    /** A patient's care plans, items and pain scores as stored (the FHIR export). */
    careRecord: 'followup.care-record',
    queuesHealth: 'followup.queues.health',
    queuesRetryFailed: 'followup.queues.retry-failed',
    queuesJobs: 'followup.queues.jobs',
    queuesJob: 'followup.queues.job',
    queuesRetryJob: 'followup.queues.retry-job',
    queuesPause: 'followup.queues.pause',
    queuesResume: 'followup.queues.resume',
  },
  notifications: {
    messagesList: 'notifications.messages.list',
    /** Messages, pain scores and items of one patient, for the timeline. */
    timeline: 'notifications.timeline',
    inboundSms: 'notifications.inbound-sms',
    /** Staff record an SMS opt-out the patient asked for in words (or by phone). */
    smsOptOut: 'notifications.sms-opt-out',
    /** Staff lift the hold a written request to stop put on automated SMS (the patient wants them after all). */
    smsHoldRelease: 'notifications.sms-hold-release',
    deliveryStatus: 'notifications.delivery-status',
    /** Message templates: the clinic's effective texts, an admin's override, back to the default, a preview. */
    templatesList: 'notifications.templates.list',
    templatesPut: 'notifications.templates.put',
    templatesReset: 'notifications.templates.reset',
    templatesPreview: 'notifications.templates.preview',
    /** A `failed` outbound message goes back to `queued` for a fresh round of attempts (admin). */
    messagesRetry: 'notifications.messages.retry',
    queuesHealth: 'notifications.queues.health',
    queuesRetryFailed: 'notifications.queues.retry-failed',
    queuesJobs: 'notifications.queues.jobs',
    queuesJob: 'notifications.queues.job',
    queuesRetryJob: 'notifications.queues.retry-job',
    queuesPause: 'notifications.queues.pause',
    queuesResume: 'notifications.queues.resume',
  },
} as const;

/**
 * The service that runs each queue's workers, and so answers for it (its job counts, retrying
 * its failed jobs): the gateway asks the owner rather than reading another service's queue.
 */
export const QUEUE_OWNERS: { readonly [Q in QueueName]: Exclude<ServiceName, 'gateway'> } = {
  [QUEUES.carePlanSteps]: 'followup',
  [QUEUES.outboundMessages]: 'notifications',
  [QUEUES.waitlistOffers]: 'scheduling',
};

/** Patterns every service answers (health and the virtual clock's coordination). */
export const servicePatterns = (service: ServiceName) =>
  ({
    health: `${service}.health`,
    devStatus: `${service}.dev.status`,
    devNextDue: `${service}.dev.next-due`,
    devRunDue: `${service}.dev.run-due`,
    devClockSync: `${service}.dev.clock-sync`,
  }) as const;

export interface DevStatus {
  /** No queued or running job, no undelivered outbox row, nothing due by now left waiting. */
  idle: boolean;
  /** Grows with every job and event handled: two equal readings mean nothing ran in between. */
  activity: number;
}
export interface DevNextDue {
  /** Earliest pending due time (ISO), or null. */
  dueAt: string | null;
}

export interface InboundSms {
  messageSid: string;
  from: string;
  to: string;
  body: string;
  /**
   * When the gateway received the text, for one it held while notifications could not take it:
   * handled now, its answer can no longer go back in the webhook's response.
   */
  heldSince?: string | null;
  /**
   * Until when (real time) the gateway waits for the answer to go in the webhook's response; an
   * answer ready only later is not heard by the patient, so it is recorded as not sent.
   */
  replyBy?: string | null;
}
export interface InboundSmsReply {
  /** Text to answer with (TwiML <Message>), or null for no reply. */
  reply: string | null;
}
export interface DeliveryStatusUpdate {
  messageSid: string;
  status: string;
  errorCode: string | null;
  /** Our message id, from the callback URL we gave Twilio (attaches the SID if the send's answer was lost). */
  messageId?: string | null;
}
