import { describe, expect, it } from '@jest/globals';
import { auditEntryOf, recordTypeOf, type AuditedRequest } from './audit-entry.js';

const USER = { id: '11111111-1111-4111-8111-111111111111', clinicId: '22222222-2222-4222-8222-222222222222', role: 'front_desk' as const, clinicianId: null, email: 'fd@example.com', name: 'Front Desk' };
const PATIENT = '33333333-3333-4333-8333-333333333333';

function request(method: string, url: string, route: string | undefined, extra: Partial<AuditedRequest> = {}): AuditedRequest {
  return { method, originalUrl: url, ...(route ? { route: { path: route } } : {}), params: {}, query: {}, user: USER, correlationId: 'rid-1', ...extra } as AuditedRequest;
}

describe('auditEntryOf', () => {
  it('records a read of a patient with who, which patient, the request id and the status', () => {
    const entry = auditEntryOf(request('GET', `/api/patients/${PATIENT}`, '/api/patients/:id', { params: { id: PATIENT } }), 200);
    expect(entry).toEqual({
      clinicId: USER.clinicId,
      userId: USER.id,
      method: 'GET',
      route: '/api/patients/:id',
      action: 'read',
      recordType: 'patient',
      targetId: PATIENT,
      patientId: PATIENT,
      statusCode: 200,
      correlationId: 'rid-1',
    });
  });

  it('records a search by its route pattern only: the query (a name, a phone) is never kept', () => {
    const entry = auditEntryOf(request('GET', '/api/patients?query=Rivera', '/api/patients', { query: { query: 'Rivera' } }), 200)!;
    expect(entry).toMatchObject({ action: 'read', recordType: 'patient', route: '/api/patients', targetId: null, patientId: null });
    expect(JSON.stringify(entry)).not.toContain('Rivera');
  });

  it('names the patient of a list read by ?patientId= and of a booking by its body', () => {
    expect(auditEntryOf(request('GET', `/api/messages?patientId=${PATIENT}`, '/api/messages', { query: { patientId: PATIENT } }), 200)).toMatchObject({ recordType: 'message', patientId: PATIENT });
    const booking = auditEntryOf(request('POST', '/api/appointments', '/api/appointments', { body: { patientId: PATIENT, notes: 'private' }, createdRecordId: '44444444-4444-4444-8444-444444444444' }), 201)!;
    expect(booking).toMatchObject({ action: 'create', recordType: 'appointment', targetId: '44444444-4444-4444-8444-444444444444', patientId: PATIENT });
    expect(JSON.stringify(booking)).not.toContain('private');
  });

  it('names the patient of an action on a record by the patientId of the answer', () => {
    const complete = request('POST', '/api/appointments/x/complete', '/api/appointments/:id/complete', { params: { id: 'x' }, answerPatientId: PATIENT });
    expect(auditEntryOf(complete, 200)).toMatchObject({ action: 'update', recordType: 'appointment', targetId: 'x', patientId: PATIENT });
  });

  it('names a registered patient by the id the answer gave it', () => {
    expect(auditEntryOf(request('POST', '/api/patients', '/api/patients', { createdRecordId: PATIENT, body: { firstName: 'Ana' } }), 201)).toMatchObject({
      action: 'create',
      recordType: 'patient',
      targetId: PATIENT,
      patientId: PATIENT,
    });
  });

  it('calls actions on a record updates, DELETE a delete and the login a login', () => {
    expect(auditEntryOf(request('POST', '/api/appointments/x/cancel', '/api/appointments/:id/cancel', { params: { id: 'x' } }), 200)).toMatchObject({ action: 'update', targetId: 'x' });
    expect(auditEntryOf(request('PATCH', '/api/users/x', '/api/users/:id', { params: { id: 'x' } }), 200)).toMatchObject({ action: 'update', recordType: 'users' });
    expect(auditEntryOf(request('DELETE', '/api/time-off/x', '/api/time-off/:id', { params: { id: 'x' } }), 200)).toMatchObject({ action: 'delete', recordType: 'time_off' });
    expect(auditEntryOf(request('POST', '/api/auth/login', '/api/auth/login'), 200)).toMatchObject({ action: 'login' });
  });

  it('names the :id of a route with several parameters (a job of a queue), else its first', () => {
    const retry = request('POST', '/api/admin/queues/q/jobs/7/retry', '/api/admin/queues/:name/jobs/:id/retry', { params: { name: 'q', id: '7' } });
    expect(auditEntryOf(retry, 200)).toMatchObject({ action: 'update', recordType: 'admin', targetId: '7' });
    const pause = request('POST', '/api/admin/queues/q/pause', '/api/admin/queues/:name/pause', { params: { name: 'q' } });
    expect(auditEntryOf(pause, 200)).toMatchObject({ action: 'update', targetId: 'q' });
  });

  it('records every refusal as a deny: not signed in, wrong role, another clinic’s record', () => {
    const anonymous = request('GET', `/api/patients/${PATIENT}`, '/api/patients/:id', { params: { id: PATIENT }, user: undefined });
    expect(auditEntryOf(anonymous, 401)).toMatchObject({ action: 'deny', userId: null, clinicId: null, patientId: PATIENT, statusCode: 401 });
    // Reads of configuration are not audited, but a refused one is.
    expect(auditEntryOf(request('GET', '/api/users', '/api/users'), 403)).toMatchObject({ action: 'deny', recordType: 'users', statusCode: 403 });
    expect(auditEntryOf(request('GET', `/api/care-plans/${PATIENT}`, '/api/care-plans/:id', { params: { id: PATIENT } }), 404)).toMatchObject({ action: 'deny', recordType: 'care_plan' });
    expect(auditEntryOf(request('POST', '/api/auth/login', '/api/auth/login', { user: undefined }), 401)).toMatchObject({ action: 'deny', userId: null });
  });

  it('leaves out reads that carry no patient data, and everything outside /api', () => {
    expect(auditEntryOf(request('GET', '/api/clinicians', '/api/clinicians'), 200)).toBeNull();
    expect(auditEntryOf(request('GET', '/api/follow-ups/counts', '/api/follow-ups/counts'), 200)).toBeNull();
    expect(auditEntryOf(request('GET', '/api/nothing-here', undefined), 404)).toBeNull();
    expect(auditEntryOf(request('GET', '/health', '/health'), 200)).toBeNull();
    expect(auditEntryOf(request('POST', '/webhooks/twilio/sms', '/webhooks/twilio/sms'), 200)).toBeNull();
  });
});

describe('recordTypeOf', () => {
  it('knows which routes carry patient data', () => {
    expect(recordTypeOf('/api/patients/:id/timeline')).toEqual({ recordType: 'patient', patientData: true });
    expect(recordTypeOf('/api/patients/:id/outcomes')).toEqual({ recordType: 'outcome', patientData: true });
    expect(recordTypeOf('/api/fhir/Patient/:id/$everything')).toEqual({ recordType: 'patient', patientData: true });
    expect(recordTypeOf('/api/day-sheet')).toEqual({ recordType: 'appointment', patientData: true });
    expect(recordTypeOf('/api/outcomes/summary')).toEqual({ recordType: 'outcomes', patientData: false });
    expect(recordTypeOf('/api/protocols/:code')).toEqual({ recordType: 'protocols', patientData: false });
  });
});
