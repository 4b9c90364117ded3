import { Module } from '@nestjs/common';
import { CarePlansController } from './care-plans.controller.js';

@Module({ controllers: [CarePlansController] })
export class CarePlansModule {}
