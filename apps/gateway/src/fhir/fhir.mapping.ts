import type {
  AppointmentResource,
  AppointmentStatus,
  CareRecordItem,
  CareRecordPainScore,
  CareRecordPlan,
  CareRecordStep,
  ClinicianResource,
  PatientCareRecord,
  PatientResource,
} from '@aftercare/contracts';
import type {
  CarePlanActivityStatus,
  CodeableConcept,
  FhirAppointment,
  FhirBundle,
  FhirCarePlan,
  FhirObservation,
  FhirPatient,
  FhirPractitioner,
  FhirProcedure,
  FhirResource,
  FhirTask,
  Reference,
} from './fhir.types.js';

/**
 * Our resources as FHIR R4. Pure code: the export service fetches, this maps. Ids are ours
 * (UUIDs), so an export taken twice names the same resources the same way, and an EHR that
 * imports it again updates rather than duplicates. Every reference is `Type/id` and resolves
 * to an entry of the same bundle (fullUrl = base + `/Type/id`).
 */

/** Our own code systems and identifier namespaces: stable across installations. */
const NS = 'https://aftercare.local/fhir';
export const FHIR_SYSTEMS = {
  patientId: `${NS}/sid/patient-id`,
  clinicianId: `${NS}/sid/clinician-id`,
  appointmentId: `${NS}/sid/appointment-id`,
  message: `${NS}/sid/message-id`,
  procedureType: `${NS}/CodeSystem/procedure-type`,
  carePlanStep: `${NS}/CodeSystem/care-plan-step`,
  followUpKind: `${NS}/CodeSystem/follow-up-kind`,
  protocol: `${NS}/protocol`,
  sourceMessageExtension: `${NS}/StructureDefinition/source-message`,
} as const;

export const LOINC_PAIN_SEVERITY: CodeableConcept = {
  coding: [{ system: 'http://loinc.org', code: '72514-3', display: 'Pain severity - 0-10 verbal numeric rating [Score] - Reported' }],
  text: 'Pain score (0-10)',
};
const SURVEY: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey', display: 'Survey' }],
};

export interface PatientExportInput {
  patient: PatientResource;
  appointments: readonly AppointmentResource[];
  clinicians: readonly ClinicianResource[];
  record: PatientCareRecord;
}

export interface ExportOptions {
  /** The FHIR base the fullUrls hang from, e.g. https://clinic.example/api/fhir (no trailing slash). */
  baseUrl: string;
  now: Date;
}

const instant = (iso: string): string => new Date(iso).toISOString();
const ref = (type: FhirResource['resourceType'], id: string, display?: string): Reference => ({ reference: `${type}/${id}`, ...(display ? { display } : {}) });
const compact = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))) as T;

export function toFhirPatient(p: PatientResource): FhirPatient {
  return compact<FhirPatient>({
    resourceType: 'Patient',
    id: p.id,
    identifier: [{ system: FHIR_SYSTEMS.patientId, value: p.id }],
    active: true,
    name: [{ use: 'official', family: p.lastName, given: [p.firstName], text: `${p.firstName} ${p.lastName}` }],
    telecom: [
      { system: 'phone' as const, value: p.phone, use: 'mobile' as const },
      ...(p.email ? [{ system: 'email' as const, value: p.email }] : []),
    ],
    birthDate: p.dateOfBirth ?? undefined,
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: p.language }] }, preferred: true }],
  });
}

export function toFhirPractitioner(id: string, name: string | undefined): FhirPractitioner {
  return compact<FhirPractitioner>({
    resourceType: 'Practitioner',
    id,
    identifier: [{ system: FHIR_SYSTEMS.clinicianId, value: id }],
    name: name ? [{ text: name }] : undefined,
  });
}

const APPOINTMENT_STATUS: Record<AppointmentStatus, FhirAppointment['status']> = {
  booked: 'booked',
  // FHIR has no "confirmed": the patient's acceptance shows on their participant instead.
  confirmed: 'booked',
  checked_in: 'checked-in',
  completed: 'fulfilled',
  cancelled: 'cancelled',
  no_show: 'noshow',
};

const procedureTypeConcept = (code: string): CodeableConcept => ({ coding: [{ system: FHIR_SYSTEMS.procedureType, code }], text: code.replace(/_/g, ' ') });

export function toFhirAppointment(a: AppointmentResource): FhirAppointment {
  return compact<FhirAppointment>({
    resourceType: 'Appointment',
    id: a.id,
    identifier: [{ system: FHIR_SYSTEMS.appointmentId, value: a.id }],
    status: APPOINTMENT_STATUS[a.status] ?? 'booked',
    serviceType: [procedureTypeConcept(a.procedureType)],
    start: instant(a.startsAt),
    end: instant(a.endsAt),
    created: instant(a.createdAt),
    comment: a.notes ?? undefined,
    participant: [
      { actor: ref('Patient', a.patientId), required: 'required', status: a.status === 'booked' ? 'needs-action' : 'accepted' },
      { actor: ref('Practitioner', a.clinicianId), required: 'required', status: 'accepted' },
    ],
  });
}

/** A completed appointment is a procedure done (the one its care plan follows up). */
export function toFhirProcedure(a: AppointmentResource): FhirProcedure {
  return compact<FhirProcedure>({
    resourceType: 'Procedure',
    id: a.id,
    identifier: [{ system: FHIR_SYSTEMS.appointmentId, value: a.id }],
    status: 'completed',
    code: procedureTypeConcept(a.procedureType),
    subject: ref('Patient', a.patientId),
    performedDateTime: instant(a.completedAt ?? a.endsAt),
    performer: [{ actor: ref('Practitioner', a.clinicianId) }],
    bodySite: a.site ? [{ text: a.site }] : undefined,
  });
}

const CARE_PLAN_STATUS: Record<string, FhirCarePlan['status']> = {
  active: 'active',
  paused: 'on-hold',
  completed: 'completed',
  cancelled: 'revoked',
  superseded: 'revoked',
};

const STEP_STATUS: Record<string, CarePlanActivityStatus> = {
  scheduled: 'scheduled',
  sent: 'in-progress',
  answered: 'completed',
  done: 'completed',
  unanswered: 'stopped',
  cancelled: 'cancelled',
  paused: 'on-hold',
};

const STEP_ACTIVITY_KIND: Record<string, NonNullable<NonNullable<FhirCarePlan['activity']>[number]['detail']>['kind']> = {
  aftercare: 'CommunicationRequest',
  checkin: 'CommunicationRequest',
  follow_up_visit: 'Appointment',
  repeat_evaluation: 'Task',
};

const STEP_DISPLAY: Record<string, string> = {
  aftercare: 'Aftercare instructions',
  checkin: 'Pain check-in',
  follow_up_visit: 'Follow-up visit',
  repeat_evaluation: 'Repeat-injection evaluation',
};

export interface CarePlanLinks {
  /** Pain scores answering each step. */
  scoresByStep: Map<string, CareRecordPainScore[]>;
  /** Items raised by each step (the visit booked, the evaluation). */
  itemsByStep: Map<string, CareRecordItem[]>;
  /** What the bundle holds, as "Type/id": a reference is only written to what resolves. */
  present: Set<string>;
}

function activityOf(step: CareRecordStep, links: CarePlanLinks): NonNullable<FhirCarePlan['activity']>[number] {
  const outcomes: Reference[] = [
    ...(links.scoresByStep.get(step.id) ?? []).map((s) => ref('Observation', s.id)),
    ...(links.itemsByStep.get(step.id) ?? []).flatMap((i) => [
      ref('Task', i.id),
      ...(i.appointmentId && links.present.has(`Appointment/${i.appointmentId}`) ? [ref('Appointment', i.appointmentId)] : []),
    ]),
  ].filter((r) => links.present.has(r.reference!));
  const status = STEP_STATUS[step.status] ?? 'unknown';
  return compact({
    outcomeReference: outcomes,
    detail: compact({
      kind: STEP_ACTIVITY_KIND[step.kind],
      code: { coding: [{ system: FHIR_SYSTEMS.carePlanStep, code: step.kind, display: STEP_DISPLAY[step.kind] ?? step.kind }], text: step.key },
      status,
      statusReason: step.status === 'unanswered' ? { text: 'The patient did not answer this check-in' } : undefined,
      scheduledPeriod: step.windowStart && step.windowEnd ? { start: instant(step.windowStart), end: instant(step.windowEnd) } : { start: instant(step.dueAt) },
      description: STEP_DISPLAY[step.kind],
    }),
  });
}

export function toFhirCarePlan(plan: CareRecordPlan, patientId: string, links: CarePlanLinks): FhirCarePlan {
  const procedure = `Procedure/${plan.appointmentId}`;
  return compact<FhirCarePlan>({
    resourceType: 'CarePlan',
    id: plan.id,
    instantiatesUri: [`${FHIR_SYSTEMS.protocol}/${encodeURIComponent(plan.protocol)}/${plan.protocolVersion}`],
    status: CARE_PLAN_STATUS[plan.status] ?? 'unknown',
    intent: 'plan',
    title: `Follow-up protocol ${plan.protocol} (version ${plan.protocolVersion})`,
    description: `Follow-up after ${plan.procedureType.replace(/_/g, ' ')}${plan.site ? `, ${plan.site}` : ''}`,
    subject: ref('Patient', patientId),
    period: compact({ start: instant(plan.procedureDate), end: plan.closedAt ? instant(plan.closedAt) : undefined }),
    created: instant(plan.createdAt),
    author: ref('Practitioner', plan.clinicianId),
    supportingInfo: links.present.has(procedure) ? [ref('Procedure', plan.appointmentId)] : undefined,
    activity: plan.steps.map((s) => activityOf(s, links)),
    note: plan.outcome ? [{ text: `Outcome: ${plan.outcome.replace(/_/g, ' ')}` }] : undefined,
  });
}

const ITEM_DISPLAY: Record<string, string> = {
  follow_up_visit: 'Follow-up visit',
  repeat_evaluation: 'Repeat-injection evaluation',
  attention: 'Needs attention',
  booking_task: 'Booking task',
};

export function toFhirTask(item: CareRecordItem, patientId: string, present: Set<string>): FhirTask {
  const has = (type: string, id: string | null): id is string => !!id && present.has(`${type}/${id}`);
  const output: NonNullable<FhirTask['output']> = [];
  if (item.decision) output.push({ type: { text: 'Repeat injection decided' }, valueBoolean: item.decision.repeatInjection });
  if (has('Appointment', item.bookedAppointmentId)) output.push({ type: { text: 'Booked appointment' }, valueReference: ref('Appointment', item.bookedAppointmentId) });
  const done = item.status === 'done';
  return compact<FhirTask>({
    resourceType: 'Task',
    id: item.id,
    basedOn: has('CarePlan', item.carePlanId) ? [ref('CarePlan', item.carePlanId)] : undefined,
    status: done ? 'completed' : 'ready',
    intent: 'order',
    priority: item.kind === 'attention' ? 'urgent' : 'routine',
    code: {
      coding: [{ system: FHIR_SYSTEMS.followUpKind, code: item.kind, display: ITEM_DISPLAY[item.kind] ?? item.kind }],
      text: item.source ? `${ITEM_DISPLAY[item.kind] ?? item.kind}: ${item.source.replace(/_/g, ' ')}` : undefined,
    },
    description: item.reason ?? undefined,
    focus: has('Appointment', item.appointmentId) ? ref('Appointment', item.appointmentId) : undefined,
    for: ref('Patient', patientId),
    executionPeriod: done && item.completedAt ? { end: instant(item.completedAt) } : undefined,
    authoredOn: instant(item.createdAt),
    lastModified: instant(item.completedAt ?? item.createdAt),
    owner: item.clinicianId ? ref('Practitioner', item.clinicianId) : undefined,
    // Wanted by: the booking deadline, or the item's due time.
    restriction: { period: { end: instant(item.bookBy ?? item.dueAt) } },
    note: item.note ? [{ text: item.note }] : undefined,
    output,
  });
}

export function toFhirObservation(score: CareRecordPainScore, patientId: string, present: Set<string>): FhirObservation {
  const patient = ref('Patient', patientId);
  return compact<FhirObservation>({
    resourceType: 'Observation',
    id: score.id,
    basedOn: score.carePlanId && present.has(`CarePlan/${score.carePlanId}`) ? [ref('CarePlan', score.carePlanId)] : undefined,
    status: 'final',
    category: [SURVEY],
    code: LOINC_PAIN_SEVERITY,
    subject: patient,
    effectiveDateTime: instant(score.answeredAt),
    issued: instant(score.answeredAt),
    // Patient-reported: the patient is the performer.
    performer: [patient],
    valueInteger: score.score,
    method: { text: score.stepId ? 'Reply by SMS to a care-plan check-in' : 'Reply by SMS' },
    extension: [{ url: FHIR_SYSTEMS.sourceMessageExtension, valueIdentifier: { system: FHIR_SYSTEMS.message, value: score.messageId } }],
  });
}

/** `Patient/:id/$everything`: the patient and everything of theirs we hold, as a searchset. */
export function patientEverything(input: PatientExportInput, options: ExportOptions): FhirBundle {
  const { patient, record } = input;
  const byTime = <T>(at: (x: T) => string, id: (x: T) => string) => (a: T, b: T) => Date.parse(at(a)) - Date.parse(at(b)) || (id(a) < id(b) ? -1 : 1);
  const appointments = [...input.appointments].sort(byTime((a) => a.startsAt, (a) => a.id));
  const procedures = appointments.filter((a) => a.status === 'completed');

  const clinicianIds = new Set<string>([
    ...appointments.map((a) => a.clinicianId),
    ...record.carePlans.map((p) => p.clinicianId),
    ...record.items.flatMap((i) => (i.clinicianId ? [i.clinicianId] : [])),
  ]);
  const names = new Map(input.clinicians.map((c) => [c.id, c.name]));
  const practitioners = [...clinicianIds].sort().map((id) => toFhirPractitioner(id, names.get(id)));

  const present = new Set<string>([
    `Patient/${patient.id}`,
    ...practitioners.map((p) => `Practitioner/${p.id}`),
    ...appointments.map((a) => `Appointment/${a.id}`),
    ...procedures.map((a) => `Procedure/${a.id}`),
    ...record.carePlans.map((p) => `CarePlan/${p.id}`),
    ...record.items.map((i) => `Task/${i.id}`),
    ...record.painScores.map((s) => `Observation/${s.id}`),
  ]);
  const group = <T>(rows: readonly T[], key: (row: T) => string | null) => {
    const map = new Map<string, T[]>();
    for (const row of rows) {
      const k = key(row);
      if (k) map.set(k, [...(map.get(k) ?? []), row]);
    }
    return map;
  };
  const links: CarePlanLinks = { scoresByStep: group(record.painScores, (s) => s.stepId), itemsByStep: group(record.items, (i) => i.stepId), present };

  const resources: FhirResource[] = [
    toFhirPatient(patient),
    ...practitioners,
    ...appointments.map(toFhirAppointment),
    ...procedures.map(toFhirProcedure),
    ...record.carePlans.map((p) => toFhirCarePlan(p, patient.id, links)),
    ...record.items.map((i) => toFhirTask(i, patient.id, present)),
    ...record.painScores.map((s) => toFhirObservation(s, patient.id, present)),
  ];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    timestamp: options.now.toISOString(),
    total: resources.length,
    link: [{ relation: 'self', url: `${options.baseUrl}/Patient/${patient.id}/$everything` }],
    entry: resources.map((resource) => ({
      fullUrl: `${options.baseUrl}/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: resource.resourceType === 'Patient' ? ('match' as const) : ('include' as const) },
    })),
  };
}

/** Every reference in a bundle that points at no entry of it (empty when all resolve). */
export function unresolvedReferences(bundle: FhirBundle): string[] {
  const base = (fullUrl: string, resource: FhirResource) => fullUrl.slice(0, fullUrl.length - `${resource.resourceType}/${resource.id}`.length);
  const known = new Set(bundle.entry.map((e) => e.fullUrl));
  const missing: string[] = [];
  for (const entry of bundle.entry) {
    const root = base(entry.fullUrl, entry.resource);
    const visit = (value: unknown): void => {
      if (Array.isArray(value)) return value.forEach(visit);
      if (!value || typeof value !== 'object') return;
      for (const [key, child] of Object.entries(value)) {
        if (key === 'reference' && typeof child === 'string') {
          if (!known.has(`${root}${child}`)) missing.push(`${entry.resource.resourceType}/${entry.resource.id} → ${child}`);
        } else visit(child);
      }
    };
    visit(entry.resource);
  }
  return missing;
}
