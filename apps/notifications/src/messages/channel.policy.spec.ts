import { describe, expect, it } from '@jest/globals';
import { channelsFor } from './channel.policy.js';

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
