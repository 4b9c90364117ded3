import { describe, expect, it } from '@jest/globals';
import { QUEUES, type QueueHealthResource } from '@aftercare/contracts';
import { QUEUE_OWNING_SERVICES, queueHealthTable, queueNamed, type OwnerAnswer, type QueueOwner } from './queue-health.js';

const counts = (name: QueueHealthResource['name'], service: QueueOwner, failed = 0): QueueHealthResource => ({
  name,
  service,
  waiting: 1,
  delayed: 2,
  active: 0,
  failed,
  completed: 5,
  paused: false,
});

describe('queueHealthTable', () => {
  it('lists every queue of QUEUES, in order, with what its owner answered', () => {
    const answers = new Map<QueueOwner, OwnerAnswer>([
      ['notifications', [counts(QUEUES.outboundMessages, 'notifications', 3)]],
      ['followup', [counts(QUEUES.carePlanSteps, 'followup')]],
      ['scheduling', [counts(QUEUES.waitlistOffers, 'scheduling')]],
    ]);
    const table = queueHealthTable(answers);
    expect(table.map((q) => [q.name, q.service])).toEqual([
      [QUEUES.carePlanSteps, 'followup'],
      [QUEUES.outboundMessages, 'notifications'],
      [QUEUES.waitlistOffers, 'scheduling'],
    ]);
    expect(table[1]).toEqual(counts(QUEUES.outboundMessages, 'notifications', 3));
    expect(table.every((q) => q.error === undefined)).toBe(true);
  });

  it('shows the queues of a service that did not answer with null counts and the reason, the others as they are', () => {
    const answers = new Map<QueueOwner, OwnerAnswer>([
      ['followup', { error: 'The followup service did not answer within 3000 ms' }],
      ['notifications', [counts(QUEUES.outboundMessages, 'notifications')]],
      ['scheduling', [counts(QUEUES.waitlistOffers, 'scheduling')]],
    ]);
    const [steps, outbound] = queueHealthTable(answers);
    expect(steps).toEqual({
      name: QUEUES.carePlanSteps,
      service: 'followup',
      waiting: null,
      delayed: null,
      active: null,
      failed: null,
      completed: null,
      paused: null,
      error: 'The followup service did not answer within 3000 ms',
    });
    expect(outbound!.waiting).toBe(1);
  });

  it('says so when an owner answered without the queue (or was not asked)', () => {
    const table = queueHealthTable(new Map<QueueOwner, OwnerAnswer>([['scheduling', []]]));
    expect(table.find((q) => q.service === 'scheduling')!.error).toBe('The scheduling service did not report this queue');
    expect(table.find((q) => q.service === 'followup')!.error).toBe('The followup service did not report this queue');
  });

  it('trusts the table, not the answer, for which service owns a queue', () => {
    const wrong = { ...counts(QUEUES.carePlanSteps, 'followup'), service: 'scheduling' as const };
    const table = queueHealthTable(new Map<QueueOwner, OwnerAnswer>([['followup', [wrong]]]));
    expect(table[0]!.service).toBe('followup');
  });
});

describe('queueNamed', () => {
  it('finds a queue by its listed name or without the braces, and nothing else', () => {
    expect(queueNamed('{care-plan-steps}')).toBe(QUEUES.carePlanSteps);
    expect(queueNamed('outbound-messages')).toBe(QUEUES.outboundMessages);
    expect(queueNamed('{outbound-messages')).toBeNull();
    expect(queueNamed('emails')).toBeNull();
    expect(queueNamed('')).toBeNull();
  });
});

describe('QUEUE_OWNING_SERVICES', () => {
  it('asks each owner once', () => {
    expect([...QUEUE_OWNING_SERVICES].sort()).toEqual(['followup', 'notifications', 'scheduling']);
  });
});
