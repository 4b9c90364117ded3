import { Module } from '@nestjs/common';
import { OutcomesController } from './outcomes.controller.js';

@Module({ controllers: [OutcomesController] })
export class OutcomesModule {}
