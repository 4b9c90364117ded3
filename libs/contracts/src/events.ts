/**
 * Domain events: declared once, versioned, never renamed once shipped (outbox rows and
 * redeliveries refer to them by name). Payloads carry ids plus the few facts a consumer needs
 * to keep its own copy; they travel through the producer's outbox and the Redis transport,
 * never through logs or BullMQ job payloads.
 */
export const SERVICES = ['gateway', 'scheduling', 'followup', 'notifications'] as const;
export type ServiceName = (typeof SERVICES)[number];

export type Channel = 'sms' | 'email';
export type PreferredChannel = 'sms' | 'email' | 'both';

export interface EventPayloads {
  'clinic.upserted': { clinicId: string; name: string; phone: string; email: string | null; timezone: string };
  'patient.registered': {
    patientId: string;
    firstName: string;
    lastName: string;
    phone: string;
    email: string | null;
    timezone: string;
    preferredChannel: PreferredChannel;
    smsConsent: boolean;
  };
  'appointment.booked': {
    appointmentId: string;
    patientId: string;
    clinicianId: string;
    clinicianName: string;
    procedureType: string;
    startsAt: string;
    endsAt: string;
    /** iCalendar SEQUENCE: grows with every change of the appointment. */
    sequence: number;
    /** Set when the care plan booked this visit (the message then asks for C / R). */
    bookedByCarePlan: boolean;
  };
  'appointment.rescheduled': {
    appointmentId: string;
    patientId: string;
    clinicianId: string;
    clinicianName: string;
    procedureType: string;
    startsAt: string;
    endsAt: string;
    sequence: number;
  };
  'appointment.cancelled': { appointmentId: string; patientId: string; reason: string | null; sequence: number };
  'procedure.completed': {
    appointmentId: string;
    patientId: string;
    clinicianId: string;
    procedureType: string;
    completedAt: string;
    site: string | null;
  };
  /** A care-plan step that talks to the patient has come due (aftercare, check-in). */
  'care-plan.message-due': {
    stepId: string;
    carePlanId: string;
    patientId: string;
    kind: 'aftercare' | 'checkin';
    dueAt: string;
  };
  'checkin.answered': { patientId: string; messageId: string; score: number; answeredAt: string };
  /** The patient answered C (confirm) or R (reschedule) about their next appointment. */
  'patient.replied': {
    patientId: string;
    appointmentId: string;
    clinicianId: string;
    appointmentStartsAt: string;
    reply: 'confirm' | 'reschedule';
    messageId: string;
    at: string;
  };
  'patient.opted-out': { patientId: string; channel: 'sms'; at: string };
  'patient.opted-in': { patientId: string; channel: 'sms'; at: string };
  'evaluation.decided': {
    itemId: string;
    carePlanId: string;
    patientId: string;
    repeatInjection: boolean;
    decidedBy: string;
  };
}

export type EventType = keyof EventPayloads;

export const EVENT_VERSIONS: { [T in EventType]: number } = {
  'clinic.upserted': 1,
  'patient.registered': 1,
  'appointment.booked': 1,
  'appointment.rescheduled': 1,
  'appointment.cancelled': 1,
  'procedure.completed': 1,
  'care-plan.message-due': 1,
  'checkin.answered': 1,
  'patient.replied': 1,
  'patient.opted-out': 1,
  'patient.opted-in': 1,
  'evaluation.decided': 1,
};

/**
 * Who consumes what. The producer's outbox keeps one delivery per subscriber and relays it
 * until that subscriber acknowledges, so a consumer that is down gets the event when it is back.
 */
export const EVENT_SUBSCRIBERS: { [T in EventType]: readonly ServiceName[] } = {
  'clinic.upserted': ['notifications'],
  'patient.registered': ['notifications', 'followup'],
  'appointment.booked': ['notifications'],
  'appointment.rescheduled': ['notifications'],
  'appointment.cancelled': ['notifications'],
  'procedure.completed': ['followup'],
  'care-plan.message-due': ['notifications'],
  'checkin.answered': ['followup'],
  'patient.replied': ['scheduling', 'followup'],
  'patient.opted-out': ['scheduling', 'followup'],
  'patient.opted-in': ['scheduling', 'followup'],
  'evaluation.decided': [],
};

export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  version: number;
  clinicId: string;
  occurredAt: string;
  correlationId: string;
  causationId: string | null;
  payload: EventPayloads[T];
}

/** The message pattern a subscriber listens on for one event type. */
export const eventPattern = (subscriber: ServiceName, type: EventType): string => `${subscriber}.event.${type}`;

export interface EventAck {
  ack: true;
  duplicate: boolean;
}
