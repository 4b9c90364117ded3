import { describe, expect, it } from '@jest/globals';
import { payloadProblem, type PayloadShape } from './rpc-payload.js';

const ctx = { clinicId: '7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f', userId: null, role: 'front_desk', clinicianId: null, correlationId: 'req-1' };
const id = '0b6f7c2e-1d2a-4c3b-8e9f-a0b1c2d3e4f5';
const cancel: PayloadShape = { id: 'id', reason: 'string?' };

describe('payloadProblem', () => {
  it('accepts a request of the shape, with optional fields absent or null', () => {
    expect(payloadProblem({ ctx, data: { id } }, cancel)).toBeNull();
    expect(payloadProblem({ ctx, data: { id, reason: null } }, cancel)).toBeNull();
    expect(payloadProblem({ ctx, data: { id, reason: 'patient asked' } }, cancel)).toBeNull();
    expect(payloadProblem({ ctx }, {})).toBeNull();
  });

  it('names an unknown field, a missing one and a wrong type', () => {
    expect(payloadProblem({ ctx, data: { id, notify: false } }, cancel)).toEqual({ field: 'notify', message: 'notify is not a field of this request; remove it' });
    expect(payloadProblem({ ctx, data: {} }, cancel)).toEqual({ field: 'id', message: 'id is required' });
    expect(payloadProblem({ ctx, data: { id: 42 } }, cancel)).toEqual({ field: 'id', message: 'id must be a UUID' });
    expect(payloadProblem({ ctx, data: { id, reason: ['x'] } }, cancel)).toEqual({ field: 'reason', message: 'reason must be a string' });
    expect(payloadProblem({ ctx, data: JSON.parse(`{"id":"${id}","__proto__":{"admin":true}}`) }, cancel)).toMatchObject({ field: '__proto__' });
  });

  it('checks dates, date-times, whole numbers and lists by their meaning', () => {
    const shape: PayloadShape = { at: 'instant?', day: 'date?', limit: 'int?', features: 'strings?' };
    expect(payloadProblem({ ctx, data: { at: '2030-01-07T10:00:00-05:00', day: '2030-01-07', limit: 5, features: ['ultrasound'] } }, shape)).toBeNull();
    expect(payloadProblem({ ctx, data: { at: '2030-01-07T10:00:00.123Z' } }, shape)).toBeNull();
    expect(payloadProblem({ ctx, data: { at: '2030-01-07T10:00:00' } }, shape)).toMatchObject({ field: 'at' });
    expect(payloadProblem({ ctx, data: { at: '2030-02-30T10:00:00Z' } }, shape)).toMatchObject({ field: 'at' });
    expect(payloadProblem({ ctx, data: { day: '2030-13-01' } }, shape)).toMatchObject({ field: 'day' });
    expect(payloadProblem({ ctx, data: { limit: 2.5 } }, shape)).toMatchObject({ field: 'limit' });
    expect(payloadProblem({ ctx, data: { limit: '5' } }, shape)).toMatchObject({ field: 'limit' });
    expect(payloadProblem({ ctx, data: { features: ['a', 1] } }, shape)).toMatchObject({ field: 'features' });
  });

  it('checks the envelope and who is asking', () => {
    expect(payloadProblem('cancel', cancel)).toMatchObject({ field: '' });
    expect(payloadProblem({ ctx, data: { id }, sudo: true }, cancel)).toMatchObject({ field: 'sudo' });
    expect(payloadProblem({ data: { id } }, cancel)).toEqual({ field: 'ctx', message: 'ctx is required' });
    expect(payloadProblem({ ctx: { ...ctx, role: 'owner' }, data: { id } }, cancel)).toMatchObject({ field: 'ctx.role' });
    expect(payloadProblem({ ctx: { ...ctx, clinicId: 'clinic-1' }, data: { id } }, cancel)).toMatchObject({ field: 'ctx.clinicId' });
    expect(payloadProblem({ ctx: { ...ctx, clinicId: '' }, data: { id } }, cancel)).toMatchObject({ field: 'ctx.clinicId' });
    expect(payloadProblem({ ctx: { ...ctx, isAdmin: true }, data: { id } }, cancel)).toMatchObject({ field: 'ctx.isAdmin' });
    expect(payloadProblem({ ctx, data: [id] }, cancel)).toMatchObject({ field: 'data' });
    // Twilio's webhooks act as the system before the clinic is known.
    expect(payloadProblem({ ctx: { ...ctx, clinicId: '', role: 'system' }, data: { id } }, cancel)).toBeNull();
  });
});
