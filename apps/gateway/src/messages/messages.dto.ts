import type { MessageStatus } from '@aftercare/contracts';
import { IsId, IsOneOf, IsOptional } from '../common/validation/validators.js';

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

export class ListMessagesQueryDto {
  @IsOptional()
  @IsId()
  patientId?: string;

  /** e.g. `failed`: what did not go out, with the reason (the admin's view). */
  @IsOptional()
  @IsOneOf(MESSAGE_STATUSES)
  status?: MessageStatus;
}
