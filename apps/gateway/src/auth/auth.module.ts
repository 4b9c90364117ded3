import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '@aftercare/config';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { LoginFailuresRepository } from './login-failures.repository.js';
import { SessionsRepository } from './sessions.repository.js';

@Module({
  imports: [
    UsersModule,
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        // A key object, made once: given the secret as a string, jsonwebtoken first tries it as a
        // public (or private) key on every verify (and sign), and the exception that throws was a
        // sixth of the gateway's CPU under load.
        secret: createSecretKey(Buffer.from(config.jwt.secret, 'utf8')),
        signOptions: { algorithm: 'HS256', expiresIn: config.jwt.expiresInSeconds },
        // Pinned, so a token cannot pick its own algorithm (e.g. "none").
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    SessionsRepository,
    LoginFailuresRepository,
    // In this order: the rate limit counts per user, so it runs once the AuthGuard knows who it is.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  // For what outlives one request: an open live stream checks its session again (LiveModule).
  exports: [AuthService],
})
export class AuthModule {}
