import { describe, expect, it } from '@jest/globals';
import { afterFailure, type FailureFacts } from './fallback.rules.js';

const sms = { id: 'sms-1', channel: 'sms' as const, errorCode: 'TWILIO_30003' };
const facts = (overrides: Partial<FailureFacts> = {}): FailureFacts => ({ failed: sms, siblings: [], reportedUnreachable: false, canEmail: true, moot: false, ...overrides });
const email = (status: FailureFacts['siblings'][number]['status'], reportedUnreachable = false) => ({ id: 'email-1', channel: 'email' as const, status, reportedUnreachable });

describe('after a message failed for good', () => {
  it('an SMS falls back to e-mail when there is an address and no e-mail of the same cause yet', () => {
    expect(afterFailure(facts())).toEqual({ action: 'fallback_email' });
  });

  it('a patient who gets both already has the e-mail: nothing twice', () => {
    for (const status of ['scheduled', 'queued', 'sending', 'sent', 'delivered'] as const) {
      expect(afterFailure(facts({ siblings: [email(status)] }))).toEqual({ action: 'covered' });
    }
  });

  it('no e-mail address: the front desk is asked to call, saying why', () => {
    expect(afterFailure(facts({ canEmail: false }))).toEqual({
      action: 'unreachable',
      reason: 'The SMS did not reach the patient (TWILIO_30003), and there is no e-mail to fall back to: call the patient',
    });
  });

  it('the e-mail of the same cause failed too: a call, once', () => {
    expect(afterFailure(facts({ siblings: [email('failed')] }))).toMatchObject({ action: 'unreachable', reason: expect.stringContaining('neither did the e-mail') });
    expect(afterFailure(facts({ siblings: [email('failed', true)] }))).toEqual({ action: 'none', why: 'already_reported' });
    expect(afterFailure(facts({ canEmail: false, reportedUnreachable: true }))).toEqual({ action: 'none', why: 'already_reported' });
  });

  it('a failed fallback e-mail (its SMS failed before) asks for a call; an e-mail whose SMS is fine does not', () => {
    const failedEmail = { id: 'email-1', channel: 'email' as const, errorCode: 'SMTP_550' };
    const smsSibling = (status: FailureFacts['siblings'][number]['status']) => ({ id: 'sms-1', channel: 'sms' as const, status, reportedUnreachable: false });
    expect(afterFailure(facts({ failed: failedEmail, siblings: [smsSibling('undelivered')] }))).toEqual({
      action: 'unreachable',
      reason: 'The e-mail did not reach the patient (SMTP_550), and neither did the SMS: call the patient',
    });
    expect(afterFailure(facts({ failed: failedEmail, siblings: [smsSibling('delivered')] }))).toEqual({ action: 'covered' });
    // An e-mail never falls back to SMS.
    expect(afterFailure(facts({ failed: failedEmail }))).toMatchObject({ action: 'unreachable', reason: expect.stringContaining('no SMS to fall back to') });
  });

  it('an SMS held because the patient asked in words to stop goes by e-mail, but asks for no call', () => {
    const held = { ...sms, errorCode: 'SMS_HELD' };
    expect(afterFailure(facts({ failed: held }))).toEqual({ action: 'fallback_email' });
    expect(afterFailure(facts({ failed: held, canEmail: false }))).toEqual({ action: 'none', why: 'held' });
  });

  it('a message that no longer matters (its appointment is off or past) leads to nothing', () => {
    expect(afterFailure(facts({ moot: true }))).toEqual({ action: 'none', why: 'moot' });
    expect(afterFailure(facts({ moot: true, canEmail: false }))).toEqual({ action: 'none', why: 'moot' });
  });
});
