import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LiveController } from './live.controller.js';
import { LiveHub } from './live.hub.js';

@Module({ imports: [AuthModule], controllers: [LiveController], providers: [LiveHub] })
export class LiveModule {}
