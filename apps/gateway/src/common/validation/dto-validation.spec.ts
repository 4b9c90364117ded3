import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AvailabilityQueryDto, BookAppointmentDto, ListAppointmentsQueryDto } from '../../appointments/appointments.dto.js';
import { LoginDto } from '../../auth/login.dto.js';
import { AdvanceClockDto } from '../../dev-clock/dev-clock.dto.js';
import { DecisionDto, ListFollowUpsQueryDto } from '../../follow-ups/follow-ups.dto.js';
import { ListMessagesQueryDto } from '../../messages/messages.dto.js';
import { CreatePatientDto } from '../../patients/patients.dto.js';
import { InboundSmsForm } from '../../webhooks/twilio-webhooks.dto.js';
import { EmptyBodyDto, IdParamDto } from '../id-param.dto.js';
import { readIdempotencyKey } from '../idempotency-key.decorator.js';
import { firstValidationProblem, ValidationFailedException, type ValidationProblem } from './validation-failed.exception.js';

/** Validates like the gateway's global pipe does, and returns the problem it would answer. */
async function problemOf(dto: new () => object, plain: Record<string, unknown>, forbidUnknown = true): Promise<ValidationProblem | null> {
  const errors = await validate(plainToInstance(dto, plain), {
    whitelist: true,
    forbidNonWhitelisted: forbidUnknown,
    forbidUnknownValues: false, // as Nest's ValidationPipe sets it
    validationError: { target: false, value: false },
  });
  return firstValidationProblem(errors);
}

const patient = {
  firstName: 'Ana',
  lastName: 'Lima',
  phone: '+12125550123',
  email: 'ana@example.com',
  timezone: 'America/New_York',
  preferredChannel: 'both',
  smsConsent: false,
};

const booking = {
  patientId: '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f',
  clinicianId: '00000000-0000-4000-8000-000000000101',
  procedureType: 'bmac_injection',
  startsAt: '2030-01-07T10:00:00-05:00',
};

describe('CreatePatientDto', () => {
  it('accepts a good patient, with or without an e-mail', async () => {
    expect(await problemOf(CreatePatientDto, patient)).toBeNull();
    expect(await problemOf(CreatePatientDto, { ...patient, email: null })).toBeNull();
    expect(await problemOf(CreatePatientDto, { ...patient, email: undefined })).toBeNull();
  });

  it.each<[unknown, string]>([
    ['+1 212 555 0123', 'spaces'],
    ['2125550123', 'no country code'],
    ['+15555555555', 'not a real number range'],
    ['+123', 'too short'],
    [12125550123, 'a number, not a string'],
  ])('refuses the phone %j (%s) with a message that shows a good one', async (phone) => {
    expect(await problemOf(CreatePatientDto, { ...patient, phone })).toEqual({
      field: 'phone',
      message: 'phone must be an E.164 phone number such as +12125550100',
    });
  });

  it('accepts E.164 numbers of other countries', async () => {
    expect(await problemOf(CreatePatientDto, { ...patient, phone: '+4915112345678' })).toBeNull();
    expect(await problemOf(CreatePatientDto, { ...patient, phone: '+447911123456' })).toBeNull();
  });

  it('names a bad e-mail, time zone, channel and consent', async () => {
    expect(await problemOf(CreatePatientDto, { ...patient, email: 'ana@' })).toEqual({
      field: 'email',
      message: 'email must be an e-mail address such as name@example.com',
    });
    expect(await problemOf(CreatePatientDto, { ...patient, timezone: 'Europe/Atlantis' })).toEqual({
      field: 'timezone',
      message: 'timezone must be an IANA time zone name such as America/New_York',
    });
    expect(await problemOf(CreatePatientDto, { ...patient, preferredChannel: 'fax' })).toEqual({
      field: 'preferredChannel',
      message: 'preferredChannel must be one of sms, email, both',
    });
    expect(await problemOf(CreatePatientDto, { ...patient, smsConsent: 'yes' })).toEqual({
      field: 'smsConsent',
      message: 'smsConsent must be true or false',
    });
  });

  it('says a missing field is required rather than listing every rule it also breaks', async () => {
    const { phone: _phone, ...withoutPhone } = patient;
    expect(await problemOf(CreatePatientDto, withoutPhone)).toEqual({ field: 'phone', message: 'phone is required' });
  });

  it('refuses a blank name (names are trimmed) and an overlong one', async () => {
    expect(await problemOf(CreatePatientDto, { ...patient, firstName: '   ' })).toEqual({ field: 'firstName', message: 'firstName must not be empty' });
    expect(await problemOf(CreatePatientDto, { ...patient, lastName: 'x'.repeat(101) })).toEqual({
      field: 'lastName',
      message: 'lastName must be at most 100 characters long',
    });
  });

  it('refuses an unknown field by name, before anything else', async () => {
    expect(await problemOf(CreatePatientDto, { ...patient, phone: 'bad', diagnosis: 'x' })).toEqual({
      field: 'diagnosis',
      message: 'diagnosis is not a field of this request; remove it',
    });
  });
});

describe('appointment DTOs', () => {
  it('accepts a good booking', async () => {
    expect(await problemOf(BookAppointmentDto, booking)).toBeNull();
    expect(await problemOf(BookAppointmentDto, { ...booking, startsAt: '2030-01-07T15:00:00.000Z', notes: 'left knee' })).toBeNull();
  });

  it.each(['2030-01-07T10:00:00', '2030-01-07', 'next tuesday', '2030-02-30T10:00:00Z', '2030-01-07T10:00:00+25:00', '2030-01-07T10:00:00-99:00', '9999-12-31T15:00:00Z'])('refuses startsAt %j (no offset, or not a date-time)', async (startsAt) => {
    expect(await problemOf(BookAppointmentDto, { ...booking, startsAt })).toEqual({
      field: 'startsAt',
      message: 'startsAt must be an ISO 8601 date-time with an offset, such as 2025-03-05T14:30:00-05:00',
    });
  });

  it('refuses ids that are not UUIDs and odd procedure type codes', async () => {
    expect(await problemOf(BookAppointmentDto, { ...booking, patientId: '42' })).toMatchObject({ field: 'patientId', message: expect.stringMatching(/^patientId must be a UUID/) });
    expect(await problemOf(BookAppointmentDto, { ...booking, procedureType: 'BMAC injection' })).toEqual({
      field: 'procedureType',
      message: 'procedureType must be a procedure type code such as bmac_injection',
    });
    expect(await problemOf(IdParamDto, { id: 'abc' })).toMatchObject({ field: 'id' });
  });

  it('checks query strings: from/to with offsets, availability needs a procedure type', async () => {
    expect(await problemOf(ListAppointmentsQueryDto, { from: '2030-01-01T00:00:00Z', to: '2030-01-08T00:00:00+01:00' })).toBeNull();
    expect(await problemOf(ListAppointmentsQueryDto, { to: 'tomorrow' })).toMatchObject({ field: 'to' });
    expect(await problemOf(AvailabilityQueryDto, { from: '2030-01-01T00:00:00Z', to: '2030-01-08T00:00:00Z' })).toEqual({
      field: 'procedureType',
      message: 'procedureType is required',
    });
  });

  it('refuses any body on a route that takes none', async () => {
    expect(await problemOf(EmptyBodyDto, {})).toBeNull();
    expect(await problemOf(EmptyBodyDto, { reason: 'x' })).toMatchObject({ field: 'reason' });
  });
});

describe('follow-up DTOs', () => {
  it('knows the states and kinds of the due list', async () => {
    for (const state of ['overdue', 'today', 'upcoming', 'open', 'done']) expect(await problemOf(ListFollowUpsQueryDto, { state })).toBeNull();
    for (const kind of ['follow_up_visit', 'repeat_evaluation', 'attention', 'booking_task']) expect(await problemOf(ListFollowUpsQueryDto, { kind })).toBeNull();
    expect(await problemOf(ListFollowUpsQueryDto, { state: 'later' })).toEqual({
      field: 'state',
      message: 'state must be one of overdue, today, upcoming, open, done',
    });
    expect(await problemOf(ListFollowUpsQueryDto, { kind: 'reminder' })).toEqual({
      field: 'kind',
      message: 'kind must be one of follow_up_visit, repeat_evaluation, attention, booking_task',
    });
  });

  it('wants a real boolean for the repeat-injection decision', async () => {
    expect(await problemOf(DecisionDto, { repeatInjection: true, note: 'pain persists' })).toBeNull();
    expect(await problemOf(DecisionDto, { repeatInjection: 'true' })).toEqual({ field: 'repeatInjection', message: 'repeatInjection must be true or false' });
    expect(await problemOf(DecisionDto, {})).toEqual({ field: 'decision', message: 'decision is required' });
  });

  it('takes a named decision with the fields each one needs', async () => {
    expect(await problemOf(DecisionDto, { decision: 'repeat', bookBy: '2026-12-24' })).toBeNull();
    expect(await problemOf(DecisionDto, { decision: 'no_repeat', outcome: 'improved' })).toBeNull();
    expect(await problemOf(DecisionDto, { decision: 'reassess', reassessInWeeks: 4 })).toBeNull();
    expect(await problemOf(DecisionDto, { decision: 'later' })).toMatchObject({ field: 'decision' });
    expect(await problemOf(DecisionDto, { decision: 'reassess' })).toEqual({ field: 'reassessInWeeks', message: 'reassessInWeeks is required' });
    expect(await problemOf(DecisionDto, { decision: 'reassess', reassessInWeeks: 27 })).toMatchObject({ field: 'reassessInWeeks' });
    expect(await problemOf(DecisionDto, { decision: 'repeat', bookBy: 'next week' })).toMatchObject({ field: 'bookBy' });
    expect(await problemOf(DecisionDto, { decision: 'no_repeat', outcome: 'cured' })).toMatchObject({ field: 'outcome' });
  });

  it('pages the due list with a limit and an opaque cursor', async () => {
    expect(await problemOf(ListFollowUpsQueryDto, { limit: '25', cursor: 'WzEsIjIwMjYi' })).toBeNull();
    expect(await problemOf(ListFollowUpsQueryDto, { limit: '0' })).toMatchObject({ field: 'limit' });
    expect(await problemOf(ListFollowUpsQueryDto, { limit: '201' })).toMatchObject({ field: 'limit' });
    expect(await problemOf(ListFollowUpsQueryDto, { cursor: 'not a cursor!' })).toMatchObject({ field: 'cursor' });
  });
});

describe('the message log query', () => {
  const id = '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f';

  it('takes a page size and a cursor, both optional', async () => {
    expect(await problemOf(ListMessagesQueryDto, {})).toBeNull();
    expect(await problemOf(ListMessagesQueryDto, { status: 'failed', limit: '50', before: `2026-01-12T14:00:00.000Z_${id}` })).toBeNull();
    expect(await problemOf(ListMessagesQueryDto, { limit: '500', before: '2026-01-12T09:00:00-05:00' })).toBeNull();
    const dto = plainToInstance(ListMessagesQueryDto, { limit: '25' });
    expect(dto.limit).toBe(25);
  });

  it.each<[Record<string, unknown>, string]>([
    [{ limit: '0' }, 'limit must be at least 1'],
    [{ limit: '501' }, 'limit must be at most 500'],
    [{ limit: 'ten' }, 'limit must be a whole number'],
    [{ before: 'yesterday' }, 'before must be the createdAt and id of the last message shown, such as 2026-01-12T14:00:00.000Z_7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f'],
    [{ before: `2026-01-12T14:00:00.000Z_not-an-id` }, 'before must be the createdAt and id of the last message shown, such as 2026-01-12T14:00:00.000Z_7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f'],
    [{ before: `2026-01-12T14:00:00_${id}` }, 'before must be the createdAt and id of the last message shown, such as 2026-01-12T14:00:00.000Z_7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f'],
  ])('refuses %j', async (query, message) => {
    expect(await problemOf(ListMessagesQueryDto, query)).toEqual({ field: Object.keys(query)[0], message });
  });
});

describe('other inputs', () => {
  it('login needs both fields', async () => {
    expect(await problemOf(LoginDto, { email: 'a@b.c' })).toEqual({ field: 'password', message: 'password is required' });
  });

  it.each(['P14D', 'PT2H', 'P1M', 'P400D', 'P1W'])('the dev clock accepts %s', async (by) => {
    expect(await problemOf(AdvanceClockDto, { by })).toBeNull();
  });

  it.each(['P401D', 'P2Y', '-P1D', 'PT0S', 'P1DT-1H', '14 days', ''])('the dev clock refuses %j', async (by) => {
    expect(await problemOf(AdvanceClockDto, { by })).toEqual({
      field: 'by',
      message: 'by must be a positive ISO 8601 duration of at most 400 days, such as P14D or PT2H',
    });
  });

  it("Twilio's form drops the fields it does not know instead of refusing them, but needs its own", async () => {
    const form = { MessageSid: 'SM1', From: '+12125550123', To: '+12125550100', Body: '', AccountSid: 'AC1', NumMedia: '0' };
    expect(await problemOf(InboundSmsForm, form, false)).toBeNull();
    const { From: _from, ...withoutFrom } = form;
    expect(await problemOf(InboundSmsForm, withoutFrom, false)).toEqual({ field: 'From', message: 'From is required' });
  });

  it('checks the Idempotency-Key header', () => {
    expect(readIdempotencyKey({ headers: {} })).toBeNull();
    expect(readIdempotencyKey({ headers: { 'idempotency-key': 'booking-7d3f0c1e' } })).toBe('booking-7d3f0c1e');
    for (const bad of ['x'.repeat(201), '', 'has space']) {
      expect(() => readIdempotencyKey({ headers: { 'idempotency-key': bad } })).toThrow(ValidationFailedException);
    }
  });
});
