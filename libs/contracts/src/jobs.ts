/**
 * BullMQ queues and jobs. Names are hash-tagged so each queue's keys share one Redis Cluster
 * slot. Payloads are ids only: the job wakes the row up, the row holds the state.
 */
export const QUEUES = {
  carePlanSteps: '{care-plan-steps}',
  outboundMessages: '{outbound-messages}',
  waitlistOffers: '{waitlist-offers}',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const JOBS = {
  carePlanStepDue: 'care-plan.step.due',
  messageSend: 'message.send',
  waitlistOfferExpire: 'waitlist.offer.expire',
} as const;
export type JobName = (typeof JOBS)[keyof typeof JOBS];

export interface JobPayloads {
  'care-plan.step.due': { id: string };
  'message.send': { id: string };
  'waitlist.offer.expire': { id: string };
}

export const BULLMQ_PREFIX = 'aftercare';
