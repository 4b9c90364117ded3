import { describe, expect, it } from '@jest/globals';
import { failedMessageRetry, retryRefusal } from './message-retry.rule.js';

const NOW = new Date('2026-03-02T15:00:00Z');

describe('retryRefusal', () => {
  it('allows a failed outgoing message only', () => {
    expect(retryRefusal({ status: 'failed', direction: 'outbound' })).toBeNull();
    for (const status of ['scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'cancelled', 'suppressed'] as const) {
      expect(retryRefusal({ status, direction: 'outbound' })).toBe(`The message is ${status}, not failed: only a failed message can be sent again`);
    }
    expect(retryRefusal({ status: 'received', direction: 'inbound' })).toBe('Only an outgoing message can be sent again');
  });
});

describe('failedMessageRetry', () => {
  it('queues a message the provider refused for a fresh round, due now, with the error cleared', () => {
    expect(failedMessageRetry({ providerMessageId: null }, NOW)).toEqual({
      status: 'queued',
      attempts: 0,
      nextAttemptAt: NOW,
      errorCode: null,
      error: null,
      updatedAt: NOW,
    });
  });

  it('keeps unconfirmed_since (not in the update), so the sender asks the provider before sending again', () => {
    expect(failedMessageRetry({ providerMessageId: null }, NOW)).not.toHaveProperty('unconfirmedSince');
  });

  it('forgets the provider copy that was reported failed, so a new one is sent', () => {
    expect(failedMessageRetry({ providerMessageId: 'SM123' }, NOW)).toMatchObject({
      status: 'queued',
      provider: null,
      providerMessageId: null,
      sentAt: null,
      deliveredAt: null,
      unconfirmedSince: null,
    });
  });
});
