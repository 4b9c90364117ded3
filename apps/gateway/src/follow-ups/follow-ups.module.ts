import { Module } from '@nestjs/common';
import { FollowUpsController } from './follow-ups.controller.js';

@Module({ controllers: [FollowUpsController] })
export class FollowUpsModule {}
