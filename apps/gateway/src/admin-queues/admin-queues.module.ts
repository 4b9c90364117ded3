import { Module } from '@nestjs/common';
import { AdminQueuesController } from './admin-queues.controller.js';
import { AdminQueuesService } from './admin-queues.service.js';

@Module({ controllers: [AdminQueuesController], providers: [AdminQueuesService] })
export class AdminQueuesModule {}
