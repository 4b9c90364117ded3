import { describe, expect, it } from '@jest/globals';
import { signedParams } from './twilio-signature.guard.js';
import { twimlReply } from './twiml.js';

describe('twimlReply', () => {
  it('answers with a message, XML-escaped', () => {
    expect(twimlReply('Reply C to confirm & R to <reschedule>')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Reply C to confirm &amp; R to &lt;reschedule&gt;</Message></Response>',
    );
  });

  it('answers with an empty response when there is nothing to say', () => {
    expect(twimlReply(null)).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
});

describe('signedParams', () => {
  it('reads the form exactly as Twilio sent it from the raw body', () => {
    const rawBody = Buffer.from('Body=Pain+is+3%2F10&From=%2B12125550123&a%5Bb%5D=1');
    expect(signedParams({ rawBody, body: {} })).toEqual({ Body: 'Pain is 3/10', From: '+12125550123', 'a[b]': '1' });
  });
});
