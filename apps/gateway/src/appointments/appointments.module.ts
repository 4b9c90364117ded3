import { Module } from '@nestjs/common';
import { AppointmentsController } from './appointments.controller.js';
import { BookingCatalogController } from './booking-catalog.controller.js';

@Module({ controllers: [AppointmentsController, BookingCatalogController] })
export class AppointmentsModule {}
