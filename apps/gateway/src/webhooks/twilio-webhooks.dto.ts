import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Required } from '../common/validation/validators.js';

/**
 * Only the fields the gateway forwards. Twilio posts many more (AccountSid, NumMedia, …) and
 * may add new ones at any time, so unknown fields are dropped here rather than refused.
 */
export class InboundSmsForm {
  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(64, { message: '$property must be at most 64 characters long' })
  MessageSid!: string;

  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(64, { message: '$property must be at most 64 characters long' })
  From!: string;

  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(64, { message: '$property must be at most 64 characters long' })
  To!: string;

  /** May be empty (a message with only a picture). */
  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(5000, { message: '$property must be at most 5000 characters long' })
  Body!: string;
}

export class StatusCallbackForm {
  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(64, { message: '$property must be at most 64 characters long' })
  MessageSid!: string;

  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(32, { message: '$property must be at most 32 characters long' })
  MessageStatus!: string;

  @IsOptional()
  @IsString({ message: '$property must be a string' })
  @MaxLength(16, { message: '$property must be at most 16 characters long' })
  ErrorCode?: string;
}
