import type { ServerResponse } from 'node:http';
import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Role } from '@aftercare/contracts';
import type { GatewayRequest } from '../common/http.js';
import { RateLimit } from '../rate-limit/rate-limit.decorator.js';
import { Public } from './auth.decorators.js';
import { AuthService, SignInLockedException, type SessionTokens } from './auth.service.js';
import { LoginDto, RefreshDto } from './login.dto.js';

export interface LoginResponse {
  accessToken: string;
  /** Seconds the access token lives (JWT_EXPIRES_IN_SECONDS). */
  expiresIn: number;
  refreshToken: string;
  user: { id: string; email: string; name: string; role: Role; clinicianId: string | null };
}

@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** 200 the session's tokens; 401 for any wrong e-mail or password; 429 with Retry-After when locked out. */
  @Public()
  @RateLimit('sign-in')
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Req() req: GatewayRequest, @Res({ passthrough: true }) res: ServerResponse): Promise<LoginResponse> {
    let tokens: SessionTokens;
    try {
      tokens = await this.auth.login(body.email, body.password, req.ip ?? 'unknown');
    } catch (error) {
      if (error instanceof SignInLockedException) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    req.user = tokens.user; // so that the audit entry of this login names who signed in
    return answer(tokens);
  }

  /** 200 a new access token and the next refresh token (the one sent is used up); 401 when the session has ended. */
  @Public()
  @RateLimit('sign-in')
  @Post('refresh')
  @HttpCode(200)
  async refresh(@Body() body: RefreshDto, @Req() req: GatewayRequest): Promise<LoginResponse> {
    const tokens = await this.auth.refresh(body.refreshToken);
    req.user = tokens.user;
    return answer(tokens);
  }

  /**
   * 204: the bearer token's session is ended, its access and refresh tokens refused from the
   * next request on. Public for the guard (an expired access token may still sign out), but the
   * token's signature is checked.
   */
  @Public()
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() req: GatewayRequest): Promise<void> {
    req.user = await this.auth.logout(req.headers.authorization);
  }
}

function answer(tokens: SessionTokens): LoginResponse {
  const { user } = tokens;
  return {
    accessToken: tokens.accessToken,
    expiresIn: tokens.expiresIn,
    refreshToken: tokens.refreshToken,
    user: { id: user.id, email: user.email, name: user.name, role: user.role, clinicianId: user.clinicianId },
  };
}
