import { Module } from '@nestjs/common';
import { BookingTasksController } from './booking-tasks.controller.js';
import { EscalationRulesController, FollowUpsController } from './follow-ups.controller.js';

@Module({ controllers: [FollowUpsController, EscalationRulesController, BookingTasksController] })
export class FollowUpsModule {}
