import { Module } from '@nestjs/common';
import { ClinicSetupController } from './clinic-setup.controller.js';

@Module({ controllers: [ClinicSetupController] })
export class ClinicSetupModule {}
