import { Module } from '@nestjs/common';
import { FhirExportService } from './fhir-export.service.js';
import { FhirController } from './fhir.controller.js';

@Module({ controllers: [FhirController], providers: [FhirExportService] })
export class FhirModule {}
