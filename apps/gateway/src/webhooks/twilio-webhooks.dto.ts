import { applyDecorators } from '@nestjs/common';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { Required } from '../common/validation/validators.js';

/** A form field of Twilio's: a string of at most `max` characters. */
const TwilioField = (max: number) =>
  applyDecorators(IsString({ message: '$property must be a string' }), MaxLength(max, { message: `$property must be at most ${max} characters long` }));

/**
 * Only the fields the gateway forwards. Twilio posts many more (AccountSid, NumMedia, …) and
 * may add new ones at any time, so unknown fields are dropped here rather than refused.
 */
export class InboundSmsForm {
  @Required()
  @TwilioField(64)
  MessageSid!: string;

  @Required()
  @TwilioField(64)
  From!: string;

  @Required()
  @TwilioField(64)
  To!: string;

  /** May be empty (a message with only a picture). */
  @Required()
  @TwilioField(5000)
  Body!: string;
}

export class StatusCallbackForm {
  @Required()
  @TwilioField(64)
  MessageSid!: string;

  @Required()
  @TwilioField(32)
  MessageStatus!: string;

  @IsOptional()
  @TwilioField(16)
  ErrorCode?: string;
}
