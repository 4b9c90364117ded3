import { PATTERNS } from '@aftercare/contracts';
import { queueAdminPayloads } from '@aftercare/jobs';
import type { PayloadShapes } from '@aftercare/messaging';

const P = PATTERNS.scheduling;
type Pattern = (typeof P)[keyof typeof P];

const BY_ID = { id: 'id' } as const;
const RANGE = { from: 'instant?', to: 'instant?' } as const;

/**
 * The data each scheduling pattern takes (libs/contracts' *Data types), checked before the
 * handler runs. Typed over every pattern: a new one does not compile without its shape.
 */
export const SCHEDULING_PAYLOADS: PayloadShapes<Pattern> = {
  [P.clinicGet]: {},
  [P.clinicUpdate]: { name: 'string?', timezone: 'string?', phone: 'string?', email: 'string?', openingHours: 'object?', gridMinutes: 'int?' },
  [P.closuresList]: RANGE,
  [P.closuresCreate]: { startsAt: 'instant?', endsAt: 'instant?', date: 'date?', throughDate: 'date?', reason: 'string' },
  [P.closuresDelete]: BY_ID,
  [P.cliniciansList]: {},
  [P.cliniciansGet]: BY_ID,
  [P.cliniciansCreate]: { name: 'string', email: 'string?', weeklyHours: 'object' },
  [P.cliniciansUpdate]: { id: 'id', name: 'string?', email: 'string?', weeklyHours: 'object?', active: 'boolean?' },
  [P.timeOffList]: { ...RANGE, clinicianId: 'id?' },
  [P.timeOffCreate]: { clinicianId: 'id', startsAt: 'instant', endsAt: 'instant', reason: 'string?' },
  [P.timeOffDelete]: BY_ID,
  [P.resourcesList]: {},
  [P.resourcesCreate]: { kind: 'string', category: 'string', name: 'string', features: 'strings?' },
  [P.resourcesUpdate]: { id: 'id', name: 'string?', features: 'strings?', active: 'boolean?' },
  [P.procedureTypesList]: {},
  [P.procedureTypesCreate]: { code: 'string', name: 'string', durationMinutes: 'int', bufferAfterMinutes: 'int?', requires: 'array?' },
  [P.procedureTypesUpdate]: { code: 'string', name: 'string?', durationMinutes: 'int?', bufferAfterMinutes: 'int?', requires: 'array?' },
  [P.patientsCreate]: {
    firstName: 'string',
    lastName: 'string',
    phone: 'string',
    email: 'string?',
    timezone: 'string',
    preferredChannel: 'string',
    smsConsent: 'boolean',
    dateOfBirth: 'date?',
    language: 'string?',
  },
  [P.patientsList]: { query: 'string?', dateOfBirth: 'date?', limit: 'int?', cursor: 'string?' },
  [P.patientsGet]: BY_ID,
  [P.patientsDuplicates]: { phone: 'string?', email: 'string?', excludeId: 'id?' },
  [P.daySheet]: { date: 'date' },
  [P.waitlistCreate]: { patientId: 'id', procedureType: 'string', clinicianId: 'id?', earliestDate: 'date', latestDate: 'date', notes: 'string?' },
  [P.waitlistList]: { status: 'string?', procedureType: 'string?', patientId: 'id?', limit: 'int?', cursor: 'string?' },
  [P.waitlistCancel]: BY_ID,
  [P.availabilitySearch]: { clinicianId: 'id?', procedureType: 'string', from: 'instant', to: 'instant', patientId: 'id?', limit: 'int?' },
  [P.appointmentsBook]: {
    patientId: 'id',
    clinicianId: 'id',
    procedureType: 'string',
    startsAt: 'instant',
    notes: 'string?',
    idempotencyKey: 'string?',
    bookingTaskId: 'id?',
  },
  [P.appointmentsList]: { ...RANGE, clinicianId: 'id?', patientId: 'id?', limit: 'int?', cursor: 'string?' },
  [P.appointmentsGet]: BY_ID,
  [P.appointmentsReschedule]: { id: 'id', startsAt: 'instant' },
  [P.appointmentsCancel]: { id: 'id', reason: 'string?' },
  [P.appointmentsNoShow]: BY_ID,
  [P.appointmentsCheckIn]: BY_ID,
  [P.appointmentsComplete]: { id: 'id', notes: 'string?', site: 'string?' },
  [P.appointmentsBookInWindow]: { patientId: 'id', clinicianId: 'id', procedureType: 'string', windowStart: 'instant', windowEnd: 'instant', idempotencyKey: 'string', existingOnly: 'boolean?' },
  ...queueAdminPayloads(P),
};
