import { describe, expect, it } from '@jest/globals';
import type { MessageStatus } from '@aftercare/contracts';
import { consequenceOf, describeErrorCode, errorCodeFromCallback, isTerminal, nextStatus, statusFromTwilio } from './delivery.rules.js';

describe('nextStatus: a status only moves forward', () => {
  it.each<[MessageStatus, MessageStatus, MessageStatus | null]>([
    ['queued', 'sent', 'sent'],
    ['sending', 'sent', 'sent'],
    ['sent', 'delivered', 'delivered'],
    ['sent', 'undelivered', 'undelivered'],
    ['sent', 'failed', 'failed'],
    // a report that skipped ahead (delivered before our own "sent" was recorded)
    ['sending', 'delivered', 'delivered'],
    ['queued', 'failed', 'failed'],
    // replays and late reports change nothing
    ['sent', 'sent', null],
    ['delivered', 'sent', null],
    ['delivered', 'delivered', null],
    ['undelivered', 'delivered', null],
    ['failed', 'delivered', null],
    ['delivered', 'failed', null],
    ['undelivered', 'sent', null],
    ['failed', 'sent', null],
    ['undelivered', 'failed', null],
    ['failed', 'undelivered', null],
    // never out of a state that did not go through the provider
    ['cancelled', 'sent', null],
    ['suppressed', 'delivered', null],
  ])('%s + report %s → %s', (current, reported, expected) => {
    expect(nextStatus(current, reported)).toBe(expected);
  });

  it('knows the final statuses', () => {
    expect(['delivered', 'undelivered', 'failed', 'cancelled', 'suppressed'].every((s) => isTerminal(s as MessageStatus))).toBe(true);
    expect(['scheduled', 'queued', 'sending', 'sent'].some((s) => isTerminal(s as MessageStatus))).toBe(false);
  });
});

describe('statusFromTwilio', () => {
  it.each([
    ['queued', 'sent'],
    ['accepted', 'sent'],
    ['sending', 'sent'],
    ['sent', 'sent'],
    ['Delivered', 'delivered'],
    ['read', 'delivered'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ])('%s → %s', (twilio, ours) => {
    expect(statusFromTwilio(twilio)).toBe(ours);
  });

  it('ignores statuses it does not know (receiving, received, something new)', () => {
    expect(statusFromTwilio('receiving')).toBeNull();
    expect(statusFromTwilio('received')).toBeNull();
    expect(statusFromTwilio('partially_delivered')).toBeNull();
  });
});

describe('error classification', () => {
  it('21610 means the number opted out at the carrier', () => {
    expect(consequenceOf('TWILIO_21610')).toBe('opted_out');
    expect(consequenceOf('21610')).toBe('opted_out');
  });

  it.each(['30003', '30005', '30006'])('%s means the number cannot take SMS', (code) => {
    expect(consequenceOf(`TWILIO_${code}`)).toBe('number_undeliverable');
    expect(consequenceOf(code)).toBe('number_undeliverable');
  });

  it.each([null, '', 'TWILIO_21211', 'TWILIO_30007', 'SMS_PROVIDER_TIMEOUT', 'SMTP_550', 'TWILIO_UNDELIVERED'])('%s has no consequence beyond the message', (code) => {
    expect(consequenceOf(code)).toBeNull();
  });

  it('describes Twilio codes for staff, and leaves ours alone', () => {
    expect(describeErrorCode('TWILIO_21211')).toBe('The phone number is not a valid number (Twilio 21211)');
    expect(describeErrorCode('TWILIO_30006')).toMatch(/landline/);
    expect(describeErrorCode('TWILIO_39999')).toBe('The SMS provider reported an error (Twilio 39999)');
    expect(describeErrorCode('SMS_PROVIDER_TIMEOUT')).toBeNull();
  });

  it('turns a callback ErrorCode into ours', () => {
    expect(errorCodeFromCallback('30003')).toBe('TWILIO_30003');
    expect(errorCodeFromCallback(' 30005 ')).toBe('TWILIO_30005');
    expect(errorCodeFromCallback('')).toBeNull();
    expect(errorCodeFromCallback(null)).toBeNull();
  });
});
