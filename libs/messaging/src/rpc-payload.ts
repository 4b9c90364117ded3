import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ROLES } from '@aftercare/contracts';
import { DomainError } from './errors.js';

/**
 * What each request pattern's `data` may hold: every field with its type; a trailing `?` means the
 * field may be left out or null. Anything else (an unknown field, a wrong type) is refused
 * with a 400 naming the field, before the handler runs — the gateway validates HTTP input, but
 * a service does not trust that every sender on the transport did.
 *
 * Nested values (weekly hours, protocol steps, requirements) are checked for their kind here and
 * for their content by the service's own rules.
 */
export type FieldType = 'id' | 'string' | 'instant' | 'date' | 'int' | 'number' | 'boolean' | 'object' | 'array' | 'strings';
export type FieldRule = FieldType | `${FieldType}?`;
export type PayloadShape = Readonly<Record<string, FieldRule>>;

/** Pattern → shape of its data, for every request pattern a service answers. */
export type PayloadShapes<P extends string = string> = Readonly<Record<P, PayloadShape>>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** ISO 8601 with an offset (or Z); Date.parse decides whether the calendar date exists. */
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_STRING = 100_000;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
/** 2030-02-30 matches the pattern but is no day of the calendar. */
const realDay = (day: string) => {
  const time = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().startsWith(day);
};

const DESCRIBE: Record<FieldType, string> = {
  id: 'a UUID',
  string: 'a string',
  instant: 'an ISO 8601 date-time with an offset',
  date: 'a date such as 2030-01-07',
  int: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  strings: 'an array of strings',
};

function fits(type: FieldType, value: unknown): boolean {
  switch (type) {
    case 'id':
      return typeof value === 'string' && UUID.test(value);
    case 'string':
      return typeof value === 'string' && value.length <= MAX_STRING;
    case 'instant':
      return typeof value === 'string' && INSTANT.test(value) && realDay(value.slice(0, 10)) && !Number.isNaN(Date.parse(value));
    case 'date':
      return typeof value === 'string' && DATE.test(value) && realDay(value);
    case 'int':
      return Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
  }
}

export interface PayloadProblem {
  field: string;
  message: string;
}

const CONTEXT_SHAPE: PayloadShape = { clinicId: 'string', userId: 'id?', role: 'string', clinicianId: 'id?', correlationId: 'string' };
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

function shapeProblem(value: Record<string, unknown>, shape: PayloadShape, path: string): PayloadProblem | null {
  for (const key of Object.keys(value)) {
    if (!(key in shape) || RESERVED.has(key)) return { field: `${path}${key}`, message: `${path}${key} is not a field of this request; remove it` };
  }
  for (const [key, rule] of Object.entries(shape)) {
    const optional = rule.endsWith('?');
    const type = (optional ? rule.slice(0, -1) : rule) as FieldType;
    const v = value[key];
    if (v === undefined || v === null) {
      if (optional) continue;
      return { field: `${path}${key}`, message: `${path}${key} is required` };
    }
    if (!fits(type, v)) return { field: `${path}${key}`, message: `${path}${key} must be ${DESCRIBE[type]}` };
  }
  return null;
}

/**
 * The first problem with a request `{ ctx, data }` for a pattern whose data has `shape`, or null.
 * Pure, so it is unit tested on its own.
 */
export function payloadProblem(payload: unknown, shape: PayloadShape): PayloadProblem | null {
  if (!isObject(payload)) return { field: '', message: 'The request must be an object { ctx, data }' };
  for (const key of Object.keys(payload)) {
    if (key !== 'ctx' && key !== 'data') return { field: key, message: `${key} is not a field of this request; remove it` };
  }
  const ctx = payload.ctx;
  if (!isObject(ctx)) return { field: 'ctx', message: 'ctx is required' };
  const inContext = shapeProblem(ctx, CONTEXT_SHAPE, 'ctx.');
  if (inContext) return inContext;
  if (ctx.role !== 'system' && !(ROLES as readonly unknown[]).includes(ctx.role)) {
    return { field: 'ctx.role', message: `ctx.role must be one of ${[...ROLES, 'system'].join(', ')}` };
  }
  // Only the system (Twilio's webhooks) acts before the clinic is known.
  if (!(ctx.role === 'system' && ctx.clinicId === '') && !UUID.test(String(ctx.clinicId))) {
    return { field: 'ctx.clinicId', message: 'ctx.clinicId must be a UUID' };
  }
  const data = payload.data ?? {};
  if (!isObject(data)) return { field: 'data', message: 'data must be an object' };
  return shapeProblem(data, shape, '');
}

/**
 * Checks every request against its pattern's shape before the handler runs (global, one per
 * service). Patterns without a shape — events from the outbox relay, the services' own health
 * and clock patterns — have their own envelopes and pass untouched.
 */
@Injectable()
export class RpcPayloadValidator implements NestInterceptor {
  constructor(private readonly shapes: PayloadShapes) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'rpc') return next.handle();
    const rpc = context.switchToRpc();
    const pattern = patternOf(rpc.getContext());
    const shape = pattern !== null && Object.hasOwn(this.shapes, pattern) ? this.shapes[pattern] : undefined;
    if (shape) {
      const problem = payloadProblem(rpc.getData(), shape);
      if (problem) throw new DomainError('REQUEST.INVALID', `${pattern}: ${problem.message}`, 400, problem.field || undefined);
    }
    return next.handle();
  }
}

/** The pattern a request came in on: the Redis transport's channel, or the direct (TCP) listener's pattern. */
export function patternOf(context: unknown): string | null {
  const host = context as { getChannel?: () => unknown; getPattern?: () => unknown } | null;
  const pattern = host?.getChannel?.() ?? host?.getPattern?.();
  return typeof pattern === 'string' ? pattern : null;
}
