import { PATTERNS } from '@aftercare/contracts';
import { queueAdminPayloads } from '@aftercare/jobs';
import type { PayloadShapes } from '@aftercare/messaging';

const P = PATTERNS.notifications;
type Pattern = (typeof P)[keyof typeof P];

const BY_ID = { id: 'id' } as const;
const TEMPLATE = { kind: 'string', language: 'string' } as const;

/**
 * The data each notifications pattern takes (libs/contracts' types), checked before the handler
 * runs. Typed over every pattern: a new one does not compile without its shape.
 */
export const NOTIFICATIONS_PAYLOADS: PayloadShapes<Pattern> = {
  [P.messagesList]: { patientId: 'id?', status: 'string?', limit: 'int?', before: 'string?' },
  [P.timeline]: BY_ID,
  [P.inboundSms]: { messageSid: 'string', from: 'string', to: 'string', body: 'string', heldSince: 'instant?', replyBy: 'instant?' },
  [P.smsOptOut]: BY_ID,
  [P.smsHoldRelease]: BY_ID,
  [P.deliveryStatus]: { messageSid: 'string', status: 'string', errorCode: 'string?', messageId: 'id?' },
  [P.templatesList]: { kind: 'string?', language: 'string?' },
  [P.templatesPut]: { ...TEMPLATE, smsBody: 'string?', emailSubject: 'string?', emailBody: 'string?' },
  [P.templatesReset]: TEMPLATE,
  [P.templatesPreview]: { ...TEMPLATE, smsBody: 'string?', emailSubject: 'string?', emailBody: 'string?', values: 'object?' },
  [P.messagesRetry]: BY_ID,
  ...queueAdminPayloads(P),
};
