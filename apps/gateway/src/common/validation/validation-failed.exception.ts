import { BadRequestException } from '@nestjs/common';
import type { ValidationError } from 'class-validator';

export interface ValidationProblem {
  /** Path of the first bad field, e.g. `phone` or `address.city`. */
  field: string;
  message: string;
}

/** A 400 whose body names the first bad field: `{ statusCode, error, message, field }`. */
export class ValidationFailedException extends BadRequestException {
  constructor(readonly problem: ValidationProblem) {
    super({ statusCode: 400, error: 'Bad Request', message: problem.message, field: problem.field });
  }
}

/**
 * Constraints that explain the problem best come first: an unknown field, then a missing one;
 * otherwise the first that failed (a missing field fails its type and format checks too).
 */
const PRIORITY = ['whitelistValidation', 'isDefined'];

/** The first problem in class-validator's errors, with its full field path. */
export function firstValidationProblem(errors: readonly ValidationError[], parentPath = ''): ValidationProblem | null {
  for (const error of errors) {
    const property = error.property ?? '';
    const field = parentPath ? `${parentPath}.${property}` : property;
    const constraints = error.constraints ?? {};
    const keys = Object.keys(constraints);
    if (keys.length > 0) {
      const key = PRIORITY.find((k) => k in constraints) ?? keys[0]!;
      if (key === 'whitelistValidation') {
        return { field, message: `${field} is not a field of this request; remove it` };
      }
      // class-validator fills $property with the bare name; show the full path for nested fields.
      const message = parentPath ? constraints[key]!.replace(property, field) : constraints[key]!;
      return { field, message };
    }
    const nested = firstValidationProblem(error.children ?? [], field);
    if (nested) return nested;
  }
  return null;
}

export function validationExceptionFactory(errors: ValidationError[]): ValidationFailedException {
  return new ValidationFailedException(firstValidationProblem(errors) ?? { field: '', message: 'The request is not valid' });
}
