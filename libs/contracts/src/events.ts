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
export type Language = 'en' | 'es';

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
    /** The language of the patient's messages, chosen at registration. */
    language: Language;
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
    /** The front desk's booking task this appointment answers (followup closes it), if any. */
    bookingTaskId: string | null;
    /** The waitlist offer this appointment came from, if any. */
    waitlistOfferId: string | null;
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
    /** Where it was before: that time is free again (the waitlist may get it). */
    previousStartsAt: string;
  };
  'appointment.cancelled': {
    appointmentId: string;
    patientId: string;
    clinicianId: string;
    procedureType: string;
    startsAt: string;
    reason: string | null;
    sequence: number;
    /** Set when the care plan booked this visit: it becomes a booking task again. */
    bookedByCarePlan: boolean;
  };
  'appointment.checked-in': { appointmentId: string; patientId: string; at: string };
  'appointment.no-show': {
    appointmentId: string;
    patientId: string;
    clinicianId: string;
    procedureType: string;
    startsAt: string;
    sequence: number;
    bookedByCarePlan: boolean;
  };
  'procedure.completed': {
    appointmentId: string;
    patientId: string;
    clinicianId: string;
    procedureType: string;
    completedAt: string;
    site: string | null;
    /** The condition treated (a protocol may be specific to it); absent from older events. */
    condition?: string | null;
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
  /**
   * A text that is no keyword and no pain score. `asksToStop`: it reads like a request to stop
   * ("please stop texting me"): staff confirm the opt-out; otherwise it goes to the clinician.
   * `clinicianId`: the clinician of the patient's next (or last) appointment, if any.
   */
  'patient.wrote': { patientId: string; messageId: string; text: string; at: string; asksToStop: boolean; clinicianId: string | null };
  /** No channel reached the patient (SMS failed for good or opted out, and no e-mail): call them. */
  'patient.unreachable': { patientId: string; messageId: string; messageKind: string; reason: string; at: string };
  'patient.opted-out': { patientId: string; channel: 'sms'; at: string };
  'patient.opted-in': { patientId: string; channel: 'sms'; at: string };
  'evaluation.decided': {
    itemId: string;
    carePlanId: string;
    patientId: string;
    repeatInjection: boolean;
    decidedBy: string;
    /** repeat / no_repeat / reassess; absent from events before decisions had names. */
    decision?: 'repeat' | 'no_repeat' | 'reassess';
  };
  /**
   * A new attention item on a clinician's due list, and the clinic asks for an e-mail alert.
   * Ids and a rule code only: the alert names no patient and no diagnosis.
   */
  'follow-up.attention-raised': { itemId: string; clinicianId: string; cause: string };
  /** A freed slot is offered to a waitlisted patient by SMS; they take it by answering YES. */
  'waitlist.offered': {
    offerId: string;
    entryId: string;
    patientId: string;
    clinicianId: string;
    clinicianName: string;
    procedureType: string;
    startsAt: string;
    endsAt: string;
    expiresAt: string;
  };
  /** The patient answered YES while an offer was open (notifications → scheduling). */
  'waitlist.offer-accepted': { offerId: string; patientId: string; messageId: string; at: string };
  /**
   * An offer is over. `booked`: this patient got the slot (the booking confirmation follows as
   * appointment.booked); `taken`: someone else got it first or the slot went; `expired`: no
   * answer in time; `withdrawn`: the entry was cancelled.
   */
  'waitlist.offer-closed': { offerId: string; patientId: string; reason: 'booked' | 'taken' | 'expired' | 'withdrawn'; appointmentId: string | null };
}

export type EventType = keyof EventPayloads;

export const EVENT_VERSIONS: { [T in EventType]: number } = {
  'clinic.upserted': 1,
  'patient.registered': 1,
  'appointment.booked': 1,
  'appointment.rescheduled': 1,
  'appointment.cancelled': 1,
  'appointment.checked-in': 1,
  'appointment.no-show': 1,
  'procedure.completed': 1,
  'care-plan.message-due': 1,
  'checkin.answered': 1,
  'patient.replied': 1,
  'patient.wrote': 1,
  'patient.unreachable': 1,
  'patient.opted-out': 1,
  'patient.opted-in': 1,
  'evaluation.decided': 1,
  'follow-up.attention-raised': 1,
  'waitlist.offered': 1,
  'waitlist.offer-accepted': 1,
  'waitlist.offer-closed': 1,
};

/**
 * Who consumes what. The producer's outbox keeps one delivery per subscriber and relays it
 * until that subscriber acknowledges, so a consumer that is down gets the event when it is back.
 */
export const EVENT_SUBSCRIBERS: { [T in EventType]: readonly ServiceName[] } = {
  'clinic.upserted': ['notifications'],
  'patient.registered': ['notifications', 'followup'],
  'appointment.booked': ['notifications', 'followup'],
  // scheduling hears its own moves and cancellations: the freed time goes to the waitlist.
  'appointment.rescheduled': ['notifications', 'followup', 'scheduling'],
  'appointment.cancelled': ['notifications', 'followup', 'scheduling'],
  'appointment.checked-in': ['notifications'],
  'appointment.no-show': ['notifications', 'followup'],
  'procedure.completed': ['followup'],
  'care-plan.message-due': ['notifications'],
  'checkin.answered': ['followup'],
  'patient.replied': ['scheduling', 'followup'],
  'patient.wrote': ['followup'],
  'patient.unreachable': ['followup'],
  'patient.opted-out': ['scheduling', 'followup'],
  'patient.opted-in': ['scheduling', 'followup'],
  'evaluation.decided': [],
  // notifications e-mails the clinician (it owns sending).
  'follow-up.attention-raised': ['notifications'],
  'waitlist.offered': ['notifications'],
  'waitlist.offer-accepted': ['scheduling'],
  'waitlist.offer-closed': ['notifications'],
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
