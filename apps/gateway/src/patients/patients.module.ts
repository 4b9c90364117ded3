import { Module } from '@nestjs/common';
import { PatientTimelineService } from './patient-timeline.service.js';
import { PatientsController } from './patients.controller.js';

@Module({ controllers: [PatientsController], providers: [PatientTimelineService] })
export class PatientsModule {}
