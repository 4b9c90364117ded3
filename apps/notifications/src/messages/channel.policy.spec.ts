import { describe, expect, it } from '@jest/globals';
import { channelsFor, numberUndeliverable } from './channel.policy.js';

describe('channelsFor', () => {
  const base = { preferredChannel: 'sms' as const, smsConsent: true, smsOptedOut: false, hasEmail: true };

  it('sends SMS to a consenting patient who prefers SMS', () => {
    expect(channelsFor(base)).toEqual(['sms']);
  });

  it('never sends SMS without consent, and falls back to email', () => {
    expect(channelsFor({ ...base, smsConsent: false })).toEqual(['email']);
  });

  it('stops SMS after STOP but keeps email going', () => {
    expect(channelsFor({ ...base, preferredChannel: 'both', smsOptedOut: true })).toEqual(['email']);
    expect(channelsFor({ ...base, smsOptedOut: true })).toEqual(['email']);
  });

  it('sends both when the patient asked for both', () => {
    expect(channelsFor({ ...base, preferredChannel: 'both' })).toEqual(['sms', 'email']);
  });

  it('has no written channel for an opted-out patient without email', () => {
    expect(channelsFor({ ...base, smsOptedOut: true, hasEmail: false })).toEqual([]);
  });

  it('sends email only to a patient who prefers email, even with SMS consent', () => {
    expect(channelsFor({ ...base, preferredChannel: 'email' })).toEqual(['email']);
  });

  it('holds SMS while a written request to stop awaits an answer, falling back to email', () => {
    expect(channelsFor({ ...base, smsHeld: true })).toEqual(['email']);
    expect(channelsFor({ ...base, preferredChannel: 'both', smsHeld: true })).toEqual(['email']);
    expect(channelsFor({ ...base, smsHeld: true, hasEmail: false })).toEqual([]);
  });
});

describe('channelsFor and a number the carrier cannot reach', () => {
  const base = { preferredChannel: 'sms' as const, smsConsent: true, smsOptedOut: false, hasEmail: true };

  it('writes no SMS to a number flagged undeliverable: e-mail instead, or nothing without an address', () => {
    expect(channelsFor({ ...base, smsUndeliverable: true })).toEqual(['email']);
    expect(channelsFor({ ...base, preferredChannel: 'both', smsUndeliverable: true })).toEqual(['email']);
    expect(channelsFor({ ...base, smsUndeliverable: true, hasEmail: false })).toEqual([]);
  });
});

describe('numberUndeliverable', () => {
  const DAY = 86_400_000;
  const now = new Date('2026-01-12T14:00:00Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('holds for the number reported, not for a new one', () => {
    const flag = { phone: '+13125550100', code: 'TWILIO_30005', at: ago(400 * DAY) };
    expect(numberUndeliverable(flag, '+13125550100', now, 7 * DAY)).toBe(true);
    expect(numberUndeliverable(flag, '+13125550199', now, 7 * DAY)).toBe(false);
    expect(numberUndeliverable({ phone: null, code: null, at: null }, '+13125550100', now, 7 * DAY)).toBe(false);
  });

  it('lets a 30003 (phone switched off) run out; 30005 and 30006 stay', () => {
    for (const code of ['TWILIO_30003', '30003']) {
      expect(numberUndeliverable({ phone: '+1', code, at: ago(6 * DAY) }, '+1', now, 7 * DAY)).toBe(true);
      expect(numberUndeliverable({ phone: '+1', code, at: ago(7 * DAY) }, '+1', now, 7 * DAY)).toBe(false);
    }
    for (const code of ['TWILIO_30005', 'TWILIO_30006']) expect(numberUndeliverable({ phone: '+1', code, at: ago(30 * DAY) }, '+1', now, 7 * DAY)).toBe(true);
  });
});
