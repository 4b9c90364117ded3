import { ValidationPipe } from '@nestjs/common';
import { validationExceptionFactory } from './validation-failed.exception.js';

/**
 * The gateway's one way to validate input: unknown fields are refused (a typo must not be
 * dropped silently), values are turned into the DTO classes, and errors never echo the value
 * back (it may be a patient's phone number or name).
 */
export function createValidationPipe(options: { forbidUnknownFields?: boolean; validateCustomDecorators?: boolean } = {}): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: options.forbidUnknownFields ?? true,
    transform: true,
    validateCustomDecorators: options.validateCustomDecorators ?? false,
    validationError: { target: false, value: false },
    exceptionFactory: validationExceptionFactory,
  });
}
