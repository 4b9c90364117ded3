import { describe, expect, it } from '@jest/globals';
import { ForbiddenException, type ExecutionContext } from '@nestjs/common';
import twilio from 'twilio';
import type { AppConfig } from '@aftercare/config';
import { TwilioSignatureGuard } from './twilio-signature.guard.js';

const PUBLIC_URL = 'https://clinic.example';
const body = { From: '+12125550142', To: '+12125550100', Body: 'STOP', MessageSid: 'SM' + 'a'.repeat(32) };

function callWith(headers: Record<string, string>): ExecutionContext {
  const req = { headers, originalUrl: '/webhooks/twilio/sms', body, rawBody: Buffer.from(new URLSearchParams(body).toString()), route: { path: '/webhooks/twilio/sms' } };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}
const guard = (config: Partial<AppConfig>) => new TwilioSignatureGuard({ publicUrl: PUBLIC_URL, production: false, twilioAuthToken: null, ...config } as AppConfig);

describe('TwilioSignatureGuard', () => {
  it('lets an unsigned webhook through in development when no Twilio token is set (the log provider)', () => {
    expect(guard({}).canActivate(callWith({}))).toBe(true);
  });

  it('refuses every webhook in production when no Twilio token is set: nothing could be checked', () => {
    expect(() => guard({ production: true }).canActivate(callWith({}))).toThrow(ForbiddenException);
    expect(() => guard({ production: true }).canActivate(callWith({ 'x-twilio-signature': 'anything' }))).toThrow(/TWILIO_AUTH_TOKEN/);
  });

  it('with a token, lets through what Twilio signed and refuses what it did not', () => {
    const token = 'twilio-test-auth-token';
    const signature = twilio.getExpectedTwilioSignature(token, `${PUBLIC_URL}/webhooks/twilio/sms`, body);
    expect(guard({ production: true, twilioAuthToken: token }).canActivate(callWith({ 'x-twilio-signature': signature }))).toBe(true);
    expect(() => guard({ production: true, twilioAuthToken: token }).canActivate(callWith({ 'x-twilio-signature': signature.replace(/^./, 'A') }))).toThrow(ForbiddenException);
  });
});
