import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { validationExceptionFactory } from './validation-failed.exception.js';

/** Keys that class-transformer and the whitelist do not see as unknown fields, but are. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function reservedKeyPath(value: unknown, path = ''): string | null {
  if (!value || typeof value !== 'object') return null;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (RESERVED_KEYS.has(key)) return here;
    const nested = reservedKeyPath((value as Record<string, unknown>)[key], here);
    if (nested) return nested;
  }
  return null;
}

/**
 * A query parameter given empty (`?patientId=&kind=`, as PRODUCT.md writes the routes) is one not
 * given: no filter, rather than a 400 for an empty id. Repeated parameters keep their non-empty values.
 */
function withoutEmptyParameters(query: unknown): unknown {
  if (!query || typeof query !== 'object' || Array.isArray(query)) return query;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (value === '') continue;
    if (Array.isArray(value)) {
      const nonEmpty = value.filter((v) => v !== '');
      if (nonEmpty.length > 0) kept[key] = nonEmpty.length === 1 ? nonEmpty[0] : nonEmpty;
      continue;
    }
    kept[key] = value;
  }
  return kept;
}

class GatewayValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const reserved = metadata.type === 'body' || metadata.type === 'query' ? reservedKeyPath(value) : null;
    if (reserved) {
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `property ${reserved} should not exist`, field: reserved });
    }
    return super.transform(metadata.type === 'query' ? withoutEmptyParameters(value) : value, metadata);
  }
}

/**
 * The gateway's one way to validate input: unknown fields are refused (a typo must not be
 * dropped silently), values are turned into the DTO classes, and errors never echo the value
 * back (it may be a patient's phone number or name).
 */
export function createValidationPipe(options: { forbidUnknownFields?: boolean; validateCustomDecorators?: boolean } = {}): ValidationPipe {
  return new GatewayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: options.forbidUnknownFields ?? true,
    transform: true,
    validateCustomDecorators: options.validateCustomDecorators ?? false,
    validationError: { target: false, value: false },
    exceptionFactory: validationExceptionFactory,
  });
}
