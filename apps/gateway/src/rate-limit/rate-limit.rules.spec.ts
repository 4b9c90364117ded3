import { describe, expect, it } from '@jest/globals';
import { bucketFor, clientAddress, limitFor, retryAfterText } from './rate-limit.rules.js';

const config = { rateLimit: { perMinute: 600, signInPerMinute: 20 }, twilioAuthToken: 'token' };

describe('limitFor', () => {
  it('gives sign-in routes their own, lower limit and standard routes the default', () => {
    expect(limitFor('sign-in', config)).toBe(20);
    expect(limitFor('standard', config)).toBe(600);
  });

  it('does not limit signed Twilio webhooks, and limits them like any route when signatures are off', () => {
    expect(limitFor('webhook', config)).toBe(0);
    expect(limitFor('webhook', { ...config, twilioAuthToken: null })).toBe(600);
  });
});

describe('bucketFor', () => {
  it('counts all standard routes of a caller together, and each sign-in route on its own', () => {
    expect(bucketFor('standard', 'PatientsController.list', 'user:u1')).toBe(bucketFor('standard', 'MeController.me', 'user:u1'));
    expect(bucketFor('sign-in', 'AuthController.login', 'ip:1.2.3.4')).not.toBe(bucketFor('sign-in', 'AuthController.refresh', 'ip:1.2.3.4'));
  });
});

describe('clientAddress', () => {
  it('keeps IPv4 addresses, also IPv4-mapped ones, and counts IPv6 addresses by their /64', () => {
    expect(clientAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientAddress('2001:db8:0:12:a:b:c:d')).toBe('2001:db8:0:12::/64');
    expect(clientAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientAddress('::1')).toBe('0:0:0:0::/64');
    expect(clientAddress(undefined)).toBe('unknown');
  });
});

describe('retryAfterText', () => {
  it('says seconds under a minute and a half, minutes above', () => {
    expect(retryAfterText(1)).toBe('1 second');
    expect(retryAfterText(40)).toBe('40 seconds');
    expect(retryAfterText(900)).toBe('15 minutes');
  });
});
