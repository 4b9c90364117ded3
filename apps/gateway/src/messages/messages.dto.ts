import { ValidateBy } from 'class-validator';
import type { MessageStatus } from '@aftercare/contracts';
import { IsId, IsOneOf, IsOptional, IsWholeNumber, isIsoDateTimeWithOffset } from '../common/validation/validators.js';

export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'cancelled',
  'suppressed',
  'received',
];

/** A log cursor: the last entry's `createdAt` and `id` joined by "_", or a time alone. */
export const isMessageCursor = (value: unknown): boolean => {
  if (typeof value !== 'string') return false;
  const match = /^([^_]+)(?:_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))?$/i.exec(value);
  return !!match && isIsoDateTimeWithOffset(match[1]);
};

const IsMessageCursor = () =>
  ValidateBy({
    name: 'isMessageCursor',
    validator: {
      validate: isMessageCursor,
      defaultMessage: () => '$property must be the createdAt and id of the last message shown, such as 2026-01-12T14:00:00.000Z_7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f',
    },
  });

/** The message log, newest first, a page at a time: `limit`, then `before` the last entry shown. */
export class ListMessagesQueryDto {
  @IsOptional()
  @IsId()
  patientId?: string;

  /** e.g. `failed`: what did not go out, with the reason (the admin's view). */
  @IsOptional()
  @IsOneOf(MESSAGE_STATUSES)
  status?: MessageStatus;

  /** How many, newest first: 100 unless given, at most 500. */
  @IsOptional()
  @IsWholeNumber(1, 500)
  limit?: number;

  /** The next page: `${last.createdAt}_${last.id}` of the last message shown. */
  @IsOptional()
  @IsMessageCursor()
  before?: string;
}
