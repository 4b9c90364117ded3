import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { Role } from '@aftercare/contracts';
import type { GatewayRequest } from '../common/http.js';
import { Public } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { LoginDto } from './login.dto.js';

export interface LoginResponse {
  accessToken: string;
  user: { id: string; email: string; name: string; role: Role; clinicianId: string | null };
}

@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: LoginDto, @Req() req: GatewayRequest): Promise<LoginResponse> {
    const { accessToken, user } = await this.auth.login(body.email, body.password);
    req.user = user; // so that the audit entry of this login names who signed in
    return { accessToken, user: { id: user.id, email: user.email, name: user.name, role: user.role, clinicianId: user.clinicianId } };
  }
}
