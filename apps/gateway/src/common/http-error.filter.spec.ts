import { describe, expect, it } from '@jest/globals';
import { BadRequestException, ForbiddenException, HttpException, NotFoundException } from '@nestjs/common';
import { DomainError } from '@aftercare/messaging';
import { toErrorBody } from './http-error.filter.js';
import { ValidationFailedException } from './validation/validation-failed.exception.js';

describe('toErrorBody', () => {
  it('keeps a domain error’s status, code and field', () => {
    expect(toErrorBody(new DomainError('APPOINTMENT.SLOT_TAKEN', 'The slot is taken', 409, 'startsAt'))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      message: 'The slot is taken',
      code: 'APPOINTMENT.SLOT_TAKEN',
      field: 'startsAt',
    });
  });

  it('maps a raw RPC error body the same way', () => {
    expect(toErrorBody({ statusCode: 404, code: 'PATIENT.NOT_FOUND', message: 'patient x was not found' })).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'patient x was not found',
      code: 'PATIENT.NOT_FOUND',
    });
  });

  it('answers validation failures with the field', () => {
    expect(toErrorBody(new ValidationFailedException({ field: 'phone', message: 'phone is required' }))).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'phone is required',
      field: 'phone',
    });
  });

  it('answers 503 while the database is unreachable, 500 for any other database error', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const shutDown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
    // drizzle wraps the driver's error as the cause.
    const wrapped = Object.assign(new Error('Failed query: select 1'), { query: 'select 1', params: [], cause: refused });
    for (const error of [refused, shutDown, wrapped]) {
      expect(toErrorBody(error)).toEqual({ statusCode: 503, error: 'Service Unavailable', code: 'SERVICE.UNAVAILABLE', message: 'The database is unreachable; try again shortly' });
    }
    expect(toErrorBody(Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' })).statusCode).toBe(500);
  });

  it('flattens Nest’s own exceptions', () => {
    expect(toErrorBody(new NotFoundException('Cannot GET /api/nope'))).toEqual({ statusCode: 404, error: 'Not Found', message: 'Cannot GET /api/nope' });
    expect(toErrorBody(new ForbiddenException())).toEqual({ statusCode: 403, error: 'Forbidden', message: 'Forbidden' });
    expect(toErrorBody(new BadRequestException(['a is bad', 'b is bad']))).toMatchObject({ statusCode: 400, message: 'a is bad; b is bad' });
  });

  it('never repeats what JSON.parse said about a bad body (it quotes the body)', () => {
    const parseError = Object.assign(new SyntaxError('Unexpected token \'A\', "Ana Lima" is not valid JSON'), { status: 400, type: 'entity.parse.failed' });
    const body = toErrorBody(new HttpException(parseError.message, 400, { cause: parseError }));
    expect(body).toEqual({ statusCode: 400, error: 'Bad Request', message: 'The request body is not valid JSON' });
  });

  it('hides unexpected errors behind a 500', () => {
    expect(toErrorBody(new Error('duplicate key value violates unique constraint'))).toMatchObject({ statusCode: 500, error: 'Internal Server Error' });
    expect(toErrorBody(new Error('x')).message).not.toContain('x');
  });
});
