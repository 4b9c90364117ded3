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
  type CreateClinicianData,
  type CreateClosureData,
  type CreatePatientData,
  type CreateProcedureTypeData,
  type CreateResourceData,
  type CreateTimeOffData,
  type CreateWaitlistEntryData,
  type DaySheetData,
  type ListAppointmentsData,
  type ListPatientsData,
  type ListRangeData,
  type ListTimeOffData,
  type ListWaitlistData,
  type PatientDuplicatesData,
  type RescheduleData,
  type RpcRequest,
  type UpdateClinicData,
  type UpdateClinicianData,
  type UpdateProcedureTypeData,
  type UpdateResourceData,
} from '@aftercare/contracts';
import { AppointmentsService } from './appointments/appointments.service.js';
import { AvailabilityService } from './availability/availability.service.js';
import { ClinicSetupService } from './clinic/clinic-setup.service.js';
import { ClinicService, toClinicSettings } from './clinic/clinic.service.js';
import { DaySheetService } from './day-sheet/day-sheet.service.js';
import { PatientsService, toPatientResource } from './patients/patients.service.js';
import { WaitlistService } from './waitlist/waitlist.service.js';

const range = (data: ListRangeData | undefined) => ({ from: data?.from ? new Date(data.from) : undefined, to: data?.to ? new Date(data.to) : undefined });

const P = PATTERNS.scheduling;

/** Request patterns from the gateway (and the care plan). Thin: one service call each. */
@Controller()
export class SchedulingController {
  constructor(
    private readonly clinic: ClinicService,
    private readonly setup: ClinicSetupService,
    private readonly patients: PatientsService,
    private readonly availability: AvailabilityService,
    private readonly appointments: AppointmentsService,
    private readonly daySheets: DaySheetService,
    private readonly waitlist: WaitlistService,
  ) {}

  @MessagePattern(P.clinicGet)
  async clinicGet(@Payload() { ctx }: RpcRequest) {
    return toClinicSettings(await this.clinic.clinic(ctx.clinicId));
  }

  @MessagePattern(P.clinicUpdate)
  clinicUpdate(@Payload() { ctx, data }: RpcRequest<UpdateClinicData>) {
    return this.setup.updateClinic(ctx, data);
  }

  @MessagePattern(P.closuresList)
  closuresList(@Payload() { ctx, data }: RpcRequest<ListRangeData>) {
    return this.clinic.closures(ctx.clinicId, range(data));
  }

  @MessagePattern(P.closuresCreate)
  closuresCreate(@Payload() { ctx, data }: RpcRequest<CreateClosureData>) {
    return this.setup.createClosure(ctx, data);
  }

  @MessagePattern(P.closuresDelete)
  closuresDelete(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.setup.deleteClosure(ctx, data.id);
  }

  @MessagePattern(P.cliniciansGet)
  clinicianGet(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.clinic.clinicianDetail(ctx, data.id);
  }

  @MessagePattern(P.cliniciansCreate)
  clinicianCreate(@Payload() { ctx, data }: RpcRequest<CreateClinicianData>) {
    return this.setup.createClinician(ctx, data);
  }

  @MessagePattern(P.cliniciansUpdate)
  clinicianUpdate(@Payload() { ctx, data }: RpcRequest<UpdateClinicianData>) {
    return this.setup.updateClinician(ctx, data);
  }

  @MessagePattern(P.timeOffList)
  timeOffList(@Payload() { ctx, data }: RpcRequest<ListTimeOffData>) {
    return this.clinic.timeOff(ctx.clinicId, { ...range(data), clinicianId: data?.clinicianId });
  }

  @MessagePattern(P.timeOffCreate)
  timeOffCreate(@Payload() { ctx, data }: RpcRequest<CreateTimeOffData>) {
    return this.setup.createTimeOff(ctx, data);
  }

  @MessagePattern(P.timeOffDelete)
  timeOffDelete(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.setup.deleteTimeOff(ctx, data.id);
  }

  @MessagePattern(P.resourcesList)
  resourcesList(@Payload() { ctx }: RpcRequest) {
    return this.clinic.listResources(ctx.clinicId);
  }

  @MessagePattern(P.resourcesCreate)
  resourcesCreate(@Payload() { ctx, data }: RpcRequest<CreateResourceData>) {
    return this.setup.createResource(ctx, data);
  }

  @MessagePattern(P.resourcesUpdate)
  resourcesUpdate(@Payload() { ctx, data }: RpcRequest<UpdateResourceData>) {
    return this.setup.updateResource(ctx, data);
  }

  @MessagePattern(P.procedureTypesCreate)
  procedureTypesCreate(@Payload() { ctx, data }: RpcRequest<CreateProcedureTypeData>) {
    return this.setup.createProcedureType(ctx, data);
  }

  @MessagePattern(P.procedureTypesUpdate)
  procedureTypesUpdate(@Payload() { ctx, data }: RpcRequest<UpdateProcedureTypeData>) {
    return this.setup.updateProcedureType(ctx, data);
  }

  @MessagePattern(P.patientsDuplicates)
  patientsDuplicates(@Payload() { ctx, data }: RpcRequest<PatientDuplicatesData>) {
    return this.patients.duplicates(ctx, data ?? {});
  }

  @MessagePattern(P.daySheet)
  daySheet(@Payload() { ctx, data }: RpcRequest<DaySheetData>) {
    return this.daySheets.daySheet(ctx, data);
  }

  @MessagePattern(P.waitlistCreate)
  waitlistCreate(@Payload() { ctx, data }: RpcRequest<CreateWaitlistEntryData>) {
    return this.waitlist.create(ctx, data);
  }

  @MessagePattern(P.waitlistList)
  waitlistList(@Payload() { ctx, data }: RpcRequest<ListWaitlistData>) {
    return this.waitlist.list(ctx, data ?? {});
  }

  @MessagePattern(P.waitlistCancel)
  waitlistCancel(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.waitlist.cancel(ctx, data.id);
  }

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
    return this.patients.list(ctx, data ?? {});
  }

  @MessagePattern(P.patientsGet)
  async getPatient(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    const row = await this.patients.get(ctx, data.id);
    return { ...toPatientResource(row), possibleDuplicates: await this.patients.duplicates(ctx, { phone: row.phone, email: row.email ?? undefined, excludeId: row.id }) };
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
  get(@Payload() { ctx, data }: RpcRequest<ByIdData>) {
    return this.appointments.getResource(ctx, data.id);
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
