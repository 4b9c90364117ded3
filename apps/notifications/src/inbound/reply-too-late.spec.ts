import { describe, expect, it } from '@jest/globals';
import { REPLY_MARGIN_MS, replyTooLate } from './inbound-sms.service.js';

describe('replyTooLate: can the answer still go back in the webhook response?', () => {
  const replyBy = '2026-11-27T14:00:05.000Z';
  const at = Date.parse(replyBy);

  it('yes while the gateway waits, with time left for the commit and the way back', () => {
    expect(replyTooLate({ replyBy }, at - REPLY_MARGIN_MS - 1)).toBe(false);
    expect(replyTooLate({}, at + 60_000)).toBe(false); // a caller that sets no deadline
  });

  it('no once the wait is over, or nearly', () => {
    expect(replyTooLate({ replyBy }, at - REPLY_MARGIN_MS + 1)).toBe(true);
    expect(replyTooLate({ replyBy }, at + 1)).toBe(true);
  });

  it('no for a text the gateway held: its response went out empty long ago', () => {
    expect(replyTooLate({ heldSince: '2026-11-27T13:59:00.000Z', replyBy }, at - 4_000)).toBe(true);
  });
});
