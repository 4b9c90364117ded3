import { IsString, MaxLength } from 'class-validator';
import { Required } from '../common/validation/validators.js';

export class LoginDto {
  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(254, { message: '$property must be at most 254 characters long' })
  email!: string;

  // Capped so that nobody can make argon2 hash megabytes per request.
  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(1024, { message: '$property must be at most 1024 characters long' })
  password!: string;
}

export class RefreshDto {
  /** As handed out by login or the previous refresh (43 characters today). */
  @Required()
  @IsString({ message: '$property must be a string' })
  @MaxLength(200, { message: '$property must be at most 200 characters long' })
  refreshToken!: string;
}
