import { PATTERNS } from '@aftercare/contracts';
import { queueAdminPayloads } from '@aftercare/jobs';
import type { PayloadShapes } from '@aftercare/messaging';

const P = PATTERNS.followup;
type Pattern = (typeof P)[keyof typeof P];

const BY_ID = { id: 'id' } as const;
const PLAN_CHANGE = { id: 'id', reason: 'string?' } as const;

/**
 * The data each follow-up pattern takes (libs/contracts' *Data types), checked before the
 * handler runs. Typed over every pattern: a new one does not compile without its shape.
 */
export const FOLLOWUP_PAYLOADS: PayloadShapes<Pattern> = {
  [P.itemsList]: { clinicianId: 'id?', kind: 'string?', state: 'string?', limit: 'int?', cursor: 'string?', paged: 'boolean?' },
  [P.itemsCounts]: { clinicianId: 'id?', kind: 'string?' },
  [P.bookingTasksList]: { state: 'string?', patientId: 'id?' },
  [P.bookingTasksComplete]: { id: 'id', note: 'string?' },
  [P.itemsComplete]: { id: 'id', note: 'string?', seenOccurrences: 'int?' },
  [P.itemsDecide]: { id: 'id', decision: 'string?', repeatInjection: 'boolean?', note: 'string?', bookBy: 'string?', reassessInWeeks: 'int?', outcome: 'string?' },
  [P.itemsGet]: BY_ID,
  [P.itemsSnooze]: { id: 'id', until: 'string', note: 'string?' },
  [P.itemsReassign]: { id: 'id', clinicianId: 'id', note: 'string?' },
  [P.escalationRulesGet]: {},
  [P.escalationRulesPut]: { highScore: 'int?', riseBy: 'int?', missedInARow: 'int?', answerWindowHours: 'int?', freeText: 'boolean?', emailAlerts: 'boolean?' },
  [P.carePlansList]: { patientId: 'id?', limit: 'int?', cursor: 'string?' },
  [P.carePlansGet]: BY_ID,
  [P.carePlansPause]: PLAN_CHANGE,
  [P.carePlansResume]: PLAN_CHANGE,
  [P.carePlansCancel]: PLAN_CHANGE,
  [P.protocolsList]: { procedureType: 'string?', active: 'boolean?' },
  [P.protocolsGet]: { code: 'string' },
  [P.protocolsCreate]: { code: 'string', name: 'string', procedureType: 'string', site: 'string?', condition: 'string?', steps: 'array', note: 'string?' },
  [P.protocolsAddVersion]: { code: 'string', name: 'string?', steps: 'array', note: 'string?' },
  [P.protocolsSetActive]: { code: 'string', active: 'boolean' },
  [P.timeline]: BY_ID,
  [P.outcomesPatient]: BY_ID,
  [P.outcomesSummary]: { clinicianId: 'id?', protocol: 'string?', from: 'string?', to: 'string?' },
  [P.careRecord]: BY_ID,
  ...queueAdminPayloads(P),
};
