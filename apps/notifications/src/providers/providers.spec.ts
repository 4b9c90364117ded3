import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { PermanentError, RetryableError } from '@aftercare/jobs';
import { freePort, SmtpCapture, TwilioFake } from '@aftercare/testing';
import { SMS_PROVIDER_ERROR, SMS_PROVIDER_RATE_LIMITED, SMS_PROVIDER_TIMEOUT, SMS_PROVIDER_UNAVAILABLE, TwilioRejectedError, TwilioSmsSender } from './twilio.sms-sender.js';
import { MAIL_PROVIDER_UNAVAILABLE, SmtpMailer, SmtpRejectedError } from './smtp.mailer.js';
import { LogSmsSender } from './log.sms-sender.js';
import { LogMailer } from './log.mailer.js';

const FROM = '+15550001111';
const TO = '+15550002222';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('TwilioSmsSender against the Twilio fake', () => {
  const fake = new TwilioFake();
  let sender: TwilioSmsSender;

  beforeAll(async () => {
    await fake.start();
    sender = new TwilioSmsSender({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: FROM,
      apiUrl: fake.url,
      timeoutMs: 300,
    });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('sends through the real twilio library and gets a Twilio sid back', async () => {
    const result = await sender.send({
      to: TO,
      body: 'Your follow-up visit is tomorrow at 10:00. Reply C to confirm.',
      statusCallbackUrl: 'http://127.0.0.1:3000/webhooks/twilio/status',
    });

    expect(result.providerMessageId).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result.status).toBe('queued');
    expect(fake.messages).toHaveLength(1);
    expect(fake.messages[0]).toMatchObject({
      sid: result.providerMessageId,
      accountSid: fake.accountSid,
      to: TO,
      from: FROM,
      body: 'Your follow-up visit is tomorrow at 10:00. Reply C to confirm.',
      statusCallback: 'http://127.0.0.1:3000/webhooks/twilio/status',
    });
  });

  it('sends no StatusCallback when none is given', async () => {
    await sender.send({ to: TO, body: 'hello' });
    const [message] = await fake.waitForMessages(1, { to: TO, timeoutMs: 1000 });
    expect(message.statusCallback).toBeUndefined();
  });

  it.each([500, 502, 504])('maps a %i to a RetryableError whose outcome is unknown (Twilio may have taken it)', async (status) => {
    fake.failNext(1, { status });
    const error = await rejectionOf(sender.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: SMS_PROVIDER_ERROR });
    expect(fake.messages).toHaveLength(0);
    // The fake recovers: the next attempt goes through.
    await expect(sender.send({ to: TO, body: 'hello' })).resolves.toMatchObject({ status: 'queued' });
  });

  it('maps a 503 to a RetryableError: not taken', async () => {
    fake.failNext(1, { status: 503, code: 20503 });
    const error = await rejectionOf(sender.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: SMS_PROVIDER_UNAVAILABLE });
    expect(fake.messages).toHaveLength(0);
    // The fake recovers: the next attempt goes through.
    await expect(sender.send({ to: TO, body: 'hello' })).resolves.toMatchObject({ status: 'queued' });
  });

  it('maps a 429 to a RetryableError', async () => {
    fake.failNext(1, { status: 429, code: 20429, message: 'Too Many Requests' });
    const error = await rejectionOf(sender.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: SMS_PROVIDER_RATE_LIMITED });
  });

  it('maps a 400 with Twilio code 21211 to a PermanentError carrying 21211, without the number in it', async () => {
    fake.failNext(1, { status: 400, code: 21211, message: `The 'To' number ${TO} is not a valid phone number.` });
    const error = await rejectionOf(sender.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toBeInstanceOf(TwilioRejectedError);
    expect(error).toMatchObject({ code: 'TWILIO_21211', twilioCode: 21211, httpStatus: 400 });
    expect((error as Error).message).not.toContain(TO);
  });

  it('maps an unsubscribed recipient (21610) to a PermanentError', async () => {
    fake.failNext(1, { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const error = await rejectionOf(sender.send({ to: TO, body: 'hello' }));
    expect(error).toMatchObject({ code: 'TWILIO_21610', twilioCode: 21610 });
    expect(error).toBeInstanceOf(PermanentError);
  });

  it('maps wrong credentials to a PermanentError (401, 20003)', async () => {
    const wrong = new TwilioSmsSender({ accountSid: fake.accountSid, authToken: 'not-the-token', from: FROM, apiUrl: fake.url });
    const error = await rejectionOf(wrong.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'TWILIO_20003', httpStatus: 401 });
    expect(fake.messages).toHaveLength(0);
  });

  it('maps a slow answer past the timeout to a RetryableError and records nothing', async () => {
    fake.delayNext(1, 2000);
    const error = await rejectionOf(sender.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: SMS_PROVIDER_TIMEOUT });
    expect(fake.messages).toHaveLength(0);
  });

  it('accepts a slow answer within the timeout', async () => {
    fake.delayNext(1, 50);
    await expect(sender.send({ to: TO, body: 'hello' })).resolves.toMatchObject({ status: 'queued' });
  });

  it('maps a dropped connection to a RetryableError', async () => {
    fake.dropNext(1);
    const error = await rejectionOf(sender.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: SMS_PROVIDER_TIMEOUT });
    expect(fake.messages).toHaveLength(0);
  });

  it('can drop the answer after accepting the message (the ambiguous case)', async () => {
    fake.dropNext(1, { afterRecording: true });
    await expect(sender.send({ to: TO, body: 'hello' })).rejects.toBeInstanceOf(RetryableError);
    expect(fake.messages).toHaveLength(1);
  });

  it('maps a server that is not there to a RetryableError', async () => {
    const nowhere = new TwilioSmsSender({
      accountSid: fake.accountSid,
      authToken: fake.authToken,
      from: FROM,
      apiUrl: `http://127.0.0.1:${await freePort()}`,
    });
    const error = await rejectionOf(nowhere.send({ to: TO, body: 'hello' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: SMS_PROVIDER_UNAVAILABLE });
    // Nor can it be asked what it has: a RetryableError, never "not there".
    await expect(nowhere.findAccepted({ to: TO, body: 'hello', since: new Date() })).rejects.toBeInstanceOf(RetryableError);
  });

  it('can accept at once and answer late (a client that gives up never hears it was accepted)', async () => {
    fake.delayNext(1, 2000, { afterRecording: true });
    const error = await rejectionOf(sender.send({ to: TO, body: 'accepted, answer lost' }));
    expect(error).toMatchObject({ code: SMS_PROVIDER_TIMEOUT });
    expect(fake.messages.map((m) => m.body)).toEqual(['accepted, answer lost']);
  });

  it('fetches the status of a message Twilio has (a delivery report whose callback was lost)', async () => {
    const { providerMessageId } = await sender.send({ to: TO, body: 'fetch me' });
    expect(await sender.fetchStatus(providerMessageId)).toEqual({ status: 'queued', errorCode: null });
    fake.setStatus(providerMessageId, 'undelivered', 30003);
    expect(await sender.fetchStatus(providerMessageId)).toEqual({ status: 'undelivered', errorCode: '30003' });
    expect(fake.fetchCount).toBe(2);
    // A message Twilio does not know: refused for good, never "delivered".
    expect(await rejectionOf(sender.fetchStatus('SM00000000000000000000000000000000'))).toBeInstanceOf(PermanentError);
  });

  it('applies failures, delays and drops only to the number they are meant for', async () => {
    const OTHER = '+15550003333';
    fake.failNext(1, { status: 400, code: 21211 }, { to: OTHER });
    await expect(sender.send({ to: TO, body: 'first' })).resolves.toMatchObject({ status: 'queued' });
    expect(await rejectionOf(sender.send({ to: OTHER, body: 'second' }))).toMatchObject({ code: 'TWILIO_21211' });
    expect(fake.pendingFaults).toBe(0);
  });

  it('finds a message Twilio already has (newest first), by number and text, through the real library', async () => {
    const since = new Date(Date.now() - 1000);
    const first = await sender.send({ to: TO, body: 'Reminder A' });
    await sender.send({ to: TO, body: 'Reminder B' });
    const again = await sender.send({ to: TO, body: 'Reminder A' });
    await sender.send({ to: '+15550004444', body: 'Reminder A' });

    const found = await sender.findAccepted({ to: TO, body: 'Reminder A', since });
    expect(found.map((f) => f.providerMessageId)).toEqual([again.providerMessageId, first.providerMessageId]);
    expect(found[0]).toMatchObject({ status: 'queued' });
    expect(await sender.findAccepted({ to: TO, body: 'Reminder C', since })).toEqual([]);
    // Created well before the call whose answer was lost: not this message.
    expect(await sender.findAccepted({ to: TO, body: 'Reminder A', since: new Date(Date.now() + 10 * 60_000) })).toEqual([]);
    expect(fake.listCount).toBe(3);
  });
});

describe('TwilioFake webhooks', () => {
  const fake = new TwilioFake();
  const received: { path: string; signature?: string; form: Record<string, string> }[] = [];
  let server: import('node:http').Server;
  let base: string;

  beforeAll(async () => {
    const http = await import('node:http');
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          signature: req.headers['x-twilio-signature'] as string | undefined,
          form: Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString())),
        });
        res.writeHead(200, { 'Content-Type': 'text/xml' }).end('<Response/>');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as import('node:net').AddressInfo).port}`;
    await fake.start();
  });
  afterAll(async () => {
    await fake.stop();
    await new Promise((resolve) => server.close(resolve));
  });

  it('signs status callbacks so that twilio.validateRequest accepts them', async () => {
    const twilio = (await import('twilio')).default;
    const sender = new TwilioSmsSender({ accountSid: fake.accountSid, authToken: fake.authToken, from: FROM, apiUrl: fake.url });
    const { providerMessageId } = await sender.send({ to: TO, body: 'hi', statusCallbackUrl: `${base}/status` });

    const answer = await fake.sendStatusCallback(providerMessageId, 'undelivered', 30003);

    expect(answer).toEqual({ status: 200, body: '<Response/>' });
    const callback = received.at(-1)!;
    expect(callback.form).toMatchObject({ MessageSid: providerMessageId, MessageStatus: 'undelivered', ErrorCode: '30003' });
    expect(twilio.validateRequest(fake.authToken, callback.signature!, `${base}/status`, callback.form)).toBe(true);
    expect(twilio.validateRequest('other-token', callback.signature!, `${base}/status`, callback.form)).toBe(false);
  });

  it('can deliver a callback made out to a public URL to the local server, still signed for the public URL', async () => {
    const twilio = (await import('twilio')).default;
    const sender = new TwilioSmsSender({ accountSid: fake.accountSid, authToken: fake.authToken, from: FROM, apiUrl: fake.url });
    const publicUrl = 'https://clinic.example/webhooks/twilio/status';
    const { providerMessageId } = await sender.send({ to: TO, body: 'hi', statusCallbackUrl: publicUrl });

    await fake.sendStatusCallback(providerMessageId, 'delivered', undefined, { postTo: `${base}/status` });

    const callback = received.at(-1)!;
    expect(callback.path).toBe('/status');
    expect(callback.form.ErrorCode).toBeUndefined();
    expect(twilio.validateRequest(fake.authToken, callback.signature!, publicUrl, callback.form)).toBe(true);
    expect(fake.messages.find((m) => m.sid === providerMessageId)?.status).toBe('delivered');
  });

  it('can leave the signature out', async () => {
    await fake.sendInboundSms(`${base}/inbound`, { from: TO, to: FROM, body: 'YES' }, { sign: false });
    expect(received.at(-1)!.signature).toBeUndefined();
  });

  it('posts inbound SMS like Twilio, signed for the given public URL', async () => {
    const twilio = (await import('twilio')).default;
    const answer = await fake.sendInboundSms(
      `${base}/inbound`,
      { from: TO, to: FROM, body: 'STOP' },
      { sign: { url: 'https://clinic.example/inbound' } },
    );

    expect(answer.status).toBe(200);
    const inbound = received.at(-1)!;
    expect(inbound.form).toMatchObject({ From: TO, To: FROM, Body: 'STOP', AccountSid: fake.accountSid, NumMedia: '0' });
    expect(inbound.form.MessageSid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(twilio.validateRequest(fake.authToken, inbound.signature!, 'https://clinic.example/inbound', inbound.form)).toBe(true);
  });
});

describe('SmtpMailer against the SMTP capture', () => {
  const capture = new SmtpCapture();
  let mailer: SmtpMailer;
  const ics = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Aftercare//EN',
    'METHOD:REQUEST',
    'BEGIN:VEVENT',
    'UID:appt-1@aftercare',
    'DTSTAMP:20250101T120000Z',
    'DTSTART:20250110T150000Z',
    'DTEND:20250110T153000Z',
    'SUMMARY:Follow-up visit',
    'END:VEVENT',
    'END:VCALENDAR',
  ].join('\r\n');

  beforeAll(async () => {
    await capture.start();
    mailer = new SmtpMailer({ smtpUrl: capture.url, from: 'Aftercare <no-reply@clinic.test>', timeoutMs: 2000 });
  });
  afterAll(() => capture.stop());
  beforeEach(() => capture.reset());

  it('sends subject, text and the invitation as text/calendar and .ics attachment', async () => {
    const result = await mailer.send({
      to: 'patient@example.test',
      subject: 'Your follow-up visit',
      text: 'See you on January 10.',
      html: '<p>See you on January 10.</p>',
      icalEvent: { method: 'REQUEST', content: ics, filename: 'visit.ics' },
    });

    expect(result.providerMessageId).toMatch(/^<.+@.+>$/);
    const [mail] = await capture.waitForMails(1, { to: 'patient@example.test', timeoutMs: 2000 });
    expect(mail.subject).toBe('Your follow-up visit');
    expect(mail.text.trim()).toBe('See you on January 10.');
    expect(mail.html).toContain('<p>See you on January 10.</p>');
    expect(mail.from).toBe('no-reply@clinic.test');
    expect(mail.fromHeader).toContain('no-reply@clinic.test');
    const attachment = mail.attachments.find((a) => a.filename === 'visit.ics');
    expect(attachment).toBeDefined();
    expect(attachment!.contentType).toBe('application/ics');
    expect(attachment!.content).toContain('SUMMARY:Follow-up visit');
    const calendar = mail.attachments.find((a) => a.contentType === 'text/calendar');
    expect(calendar?.content).toContain('UID:appt-1@aftercare');
    expect(mail.raw).toMatch(/text\/calendar; charset=utf-8; method=REQUEST/i);
  });

  it('sends a plain mail with no attachment', async () => {
    await mailer.send({ to: 'other@example.test', subject: 'Hello', text: 'Plain' });
    const [mail] = await capture.waitForMails(1, { to: 'other@example.test', timeoutMs: 2000 });
    expect(mail.attachments).toEqual([]);
  });

  it('maps a 5xx reply to a PermanentError', async () => {
    capture.failNext(1, { responseCode: 550, message: 'Mailbox unavailable' });
    const error = await rejectionOf(mailer.send({ to: 'patient@example.test', subject: 's', text: 't' }));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toBeInstanceOf(SmtpRejectedError);
    expect(error).toMatchObject({ code: 'SMTP_550', responseCode: 550 });
    expect(capture.mails).toHaveLength(0);
  });

  it('maps a 4xx reply to a RetryableError', async () => {
    capture.failNext(1, { responseCode: 451, message: 'Try again later' });
    const error = await rejectionOf(mailer.send({ to: 'patient@example.test', subject: 's', text: 't' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'SMTP_451' });
  });

  it('maps a server that is down to a RetryableError', async () => {
    const down = new SmtpMailer({ smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: 'no-reply@clinic.test', timeoutMs: 1000 });
    const error = await rejectionOf(down.send({ to: 'patient@example.test', subject: 's', text: 't' }));
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: MAIL_PROVIDER_UNAVAILABLE });
  });
});

describe('log providers', () => {
  it('LogSmsSender records the SMS and returns a LOG id', async () => {
    const sender = new LogSmsSender();
    const result = await sender.send({ to: TO, body: 'hello' });
    expect(result.providerMessageId).toMatch(/^LOG[0-9a-f]{32}$/);
    expect(sender.sent).toEqual([{ to: TO, body: 'hello', providerMessageId: result.providerMessageId }]);
    // Asked for a report it never pushes: as far as a message to nowhere goes.
    expect(await sender.fetchStatus(result.providerMessageId)).toEqual({ status: 'delivered', errorCode: null });
  });

  it('LogMailer records the mail and returns a LOG id', async () => {
    const mailer = new LogMailer();
    const result = await mailer.send({ to: 'patient@example.test', subject: 's', text: 't' });
    expect(result.providerMessageId).toMatch(/^LOG[0-9a-f]{32}$/);
    expect(mailer.sent[0]).toMatchObject({ to: 'patient@example.test', providerMessageId: result.providerMessageId });
  });
});
