import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  PATTERNS,
  type AvailabilityData,
  type BookAppointmentData,
  type BookInWindowData,
  type ByIdData,
  type CancelData,
  type CompleteData,
  type CreatePatientData,
  type ListAppointmentsData,
  type ListPatientsData,
  type RescheduleData,
  type RpcRequest,
} from '@aftercare/contracts';
import { AppointmentsService, toAppointmentResource } from './appointments/appointments.service.js';
import { AvailabilityService } from './availability/availability.service.js';
import { ClinicService } from './clinic/clinic.service.js';
import { PatientsService, toPatientResource } from './patients/patients.service.js';

const P = PATTERNS.scheduling;

/** Request patterns from the gateway (and the care plan). Thin: one service call each. */
@Controller()
export class SchedulingController {
  constructor(
    private readonly clinic: ClinicService,
    private readonly patients: PatientsService,
    private readonly availability: AvailabilityService,
    private readonly appointments: AppointmentsService,
  ) {}

  @MessagePattern(P.cliniciansList)
  clinicians(@Payload() { ctx }: RpcRequest) {
    return this.clinic.listClinicians(ctx);
  }

  @MessagePattern(P.procedureTypesList)
  procedureTypes(@Payload() { ctx }: RpcRequest) {
    return this.clinic.listProcedureTypes(ctx);
  }

  @MessagePattern(P.patientsCreate)
  createPatient(@Payload() { ctx, data }: RpcRequest<CreatePatientData>) {
    return this.patients.create(ctx, data);
  }

  @MessagePattern(P.patientsList)
  listPatients(@Payload() { ctx, data }: RpcRequest<ListPatientsData>) {
    return this.patients.list(ctx, data?.query);
  }

  @MessagePattern(P.patientsGet)
  async getPatient(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return toPatientResource(await this.patients.get(ctx, data.id));
  }

  @MessagePattern(P.availabilitySearch)
  availabilitySearch(@Payload() { ctx, data }: RpcRequest<AvailabilityData>) {
    return this.availability.search(ctx, data);
  }

  @MessagePattern(P.appointmentsBook)
  book(@Payload() { ctx, data }: RpcRequest<BookAppointmentData>) {
    return this.appointments.book(ctx, data);
  }

  @MessagePattern(P.appointmentsBookInWindow)
  bookInWindow(@Payload() { ctx, data }: RpcRequest<BookInWindowData>) {
    return this.appointments.bookInWindow(ctx, data);
  }

  @MessagePattern(P.appointmentsList)
  list(@Payload() { ctx, data }: RpcRequest<ListAppointmentsData>) {
    return this.appointments.list(ctx, data ?? {});
  }

  @MessagePattern(P.appointmentsGet)
  async get(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return toAppointmentResource(await this.appointments.get(ctx, data.id));
  }

  @MessagePattern(P.appointmentsReschedule)
  reschedule(@Payload() { ctx, data }: RpcRequest<RescheduleData>) {
    return this.appointments.reschedule(ctx, data);
  }

  @MessagePattern(P.appointmentsCancel)
  cancel(@Payload() { ctx, data }: RpcRequest<CancelData>) {
    return this.appointments.cancel(ctx, data);
  }

  @MessagePattern(P.appointmentsCheckIn)
  checkIn(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.appointments.checkIn(ctx, data.id);
  }

  @MessagePattern(P.appointmentsNoShow)
  noShow(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.appointments.noShow(ctx, data.id);
  }

  @MessagePattern(P.appointmentsComplete)
  complete(@Payload() { ctx, data }: RpcRequest<CompleteData>) {
    return this.appointments.complete(ctx, data);
  }
}
