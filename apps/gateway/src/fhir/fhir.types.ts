/**
 * The part of FHIR R4 (http://hl7.org/fhir/R4) the export writes. Hand-written and small on
 * purpose: the tests check the output against the published R4 JSON schema, which is the
 * authority; these types only keep the mapping code honest about field names.
 */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Reference {
  reference?: string;
  display?: string;
}
export interface Identifier {
  system?: string;
  value?: string;
}
export interface Period {
  start?: string;
  end?: string;
}
export interface Annotation {
  text: string;
  time?: string;
}
export interface Extension {
  url: string;
  valueString?: string;
  valueIdentifier?: Identifier;
  valueReference?: Reference;
}

interface ResourceBase {
  id: string;
  meta?: { lastUpdated?: string; profile?: string[] };
}

export interface FhirPatient extends ResourceBase {
  resourceType: 'Patient';
  identifier?: Identifier[];
  active?: boolean;
  name?: { use?: string; family?: string; given?: string[]; text?: string }[];
  telecom?: { system: 'phone' | 'email' | 'sms'; value: string; use?: 'home' | 'work' | 'mobile' }[];
  birthDate?: string;
  communication?: { language: CodeableConcept; preferred?: boolean }[];
}

export interface FhirPractitioner extends ResourceBase {
  resourceType: 'Practitioner';
  identifier?: Identifier[];
  active?: boolean;
  name?: { text?: string }[];
}

export interface FhirAppointment extends ResourceBase {
  resourceType: 'Appointment';
  identifier?: Identifier[];
  status: 'proposed' | 'pending' | 'booked' | 'arrived' | 'fulfilled' | 'cancelled' | 'noshow' | 'entered-in-error' | 'checked-in' | 'waitlist';
  serviceType?: CodeableConcept[];
  description?: string;
  start?: string;
  end?: string;
  minutesDuration?: number;
  created?: string;
  comment?: string;
  participant: { actor?: Reference; required?: 'required' | 'optional' | 'information-only'; status: 'accepted' | 'declined' | 'tentative' | 'needs-action' }[];
}

export interface FhirProcedure extends ResourceBase {
  resourceType: 'Procedure';
  identifier?: Identifier[];
  status: 'preparation' | 'in-progress' | 'not-done' | 'on-hold' | 'stopped' | 'completed' | 'entered-in-error' | 'unknown';
  code?: CodeableConcept;
  subject: Reference;
  performedDateTime?: string;
  performer?: { actor: Reference }[];
  bodySite?: CodeableConcept[];
  note?: Annotation[];
}

export type CarePlanActivityStatus = 'not-started' | 'scheduled' | 'in-progress' | 'on-hold' | 'completed' | 'cancelled' | 'stopped' | 'unknown' | 'entered-in-error';

export interface FhirCarePlan extends ResourceBase {
  resourceType: 'CarePlan';
  identifier?: Identifier[];
  instantiatesUri?: string[];
  status: 'draft' | 'active' | 'on-hold' | 'revoked' | 'completed' | 'entered-in-error' | 'unknown';
  intent: 'proposal' | 'plan' | 'order' | 'option';
  title?: string;
  description?: string;
  subject: Reference;
  period?: Period;
  created?: string;
  author?: Reference;
  supportingInfo?: Reference[];
  activity?: {
    outcomeReference?: Reference[];
    detail?: {
      kind?: 'Appointment' | 'CommunicationRequest' | 'DeviceRequest' | 'MedicationRequest' | 'NutritionOrder' | 'Task' | 'ServiceRequest' | 'VisionPrescription';
      code?: CodeableConcept;
      status: CarePlanActivityStatus;
      statusReason?: CodeableConcept;
      scheduledPeriod?: Period;
      performer?: Reference[];
      description?: string;
    };
  }[];
  note?: Annotation[];
}

export interface FhirTask extends ResourceBase {
  resourceType: 'Task';
  identifier?: Identifier[];
  basedOn?: Reference[];
  status: 'draft' | 'requested' | 'received' | 'accepted' | 'rejected' | 'ready' | 'cancelled' | 'in-progress' | 'on-hold' | 'failed' | 'completed' | 'entered-in-error';
  intent: 'unknown' | 'proposal' | 'plan' | 'order' | 'original-order' | 'reflex-order' | 'filler-order' | 'instance-order' | 'option';
  priority?: 'routine' | 'urgent' | 'asap' | 'stat';
  code?: CodeableConcept;
  description?: string;
  focus?: Reference;
  for?: Reference;
  executionPeriod?: Period;
  authoredOn?: string;
  lastModified?: string;
  owner?: Reference;
  restriction?: { period?: Period };
  note?: Annotation[];
  output?: { type: CodeableConcept; valueBoolean?: boolean; valueReference?: Reference }[];
}

export interface FhirObservation extends ResourceBase {
  resourceType: 'Observation';
  identifier?: Identifier[];
  basedOn?: Reference[];
  status: 'registered' | 'preliminary' | 'final' | 'amended' | 'corrected' | 'cancelled' | 'entered-in-error' | 'unknown';
  category?: CodeableConcept[];
  code: CodeableConcept;
  subject?: Reference;
  effectiveDateTime?: string;
  issued?: string;
  performer?: Reference[];
  valueInteger?: number;
  method?: CodeableConcept;
  extension?: Extension[];
  note?: Annotation[];
}

export type FhirResource = FhirPatient | FhirPractitioner | FhirAppointment | FhirProcedure | FhirCarePlan | FhirTask | FhirObservation;

export interface FhirBundle {
  resourceType: 'Bundle';
  id?: string;
  meta?: { lastUpdated?: string };
  type: 'searchset' | 'collection';
  timestamp?: string;
  total?: number;
  link?: { relation: string; url: string }[];
  entry: { fullUrl: string; resource: FhirResource; search?: { mode: 'match' | 'include' | 'outcome' } }[];
}
