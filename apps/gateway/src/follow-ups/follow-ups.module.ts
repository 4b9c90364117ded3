import { Module } from '@nestjs/common';
import { BookingTasksController } from './booking-tasks.controller.js';
import { FollowUpsController } from './follow-ups.controller.js';

@Module({ controllers: [FollowUpsController, BookingTasksController] })
export class FollowUpsModule {}
