import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gt, lt } from 'drizzle-orm';
import type {
  ClinicianDetailResource,
  ClinicianResource,
  ClinicResourceResource,
  ClinicSettingsResource,
  ClosureResource,
  ProcedureTypeResource,
  RequestContext,
  TimeOffResource,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound } from '@aftercare/messaging';
import {
  clinicians,
  clinics,
  closures,
  procedureTypes,
  resources,
  setupVersions,
  timeOff,
  type ClinicianRow,
  type ClinicRow,
  type ProcedureTypeRow,
  type ResourceRow,
} from '../database/schema.js';

export const toClinicSettings = (row: ClinicRow): ClinicSettingsResource => ({
  id: row.id,
  name: row.name,
  timezone: row.timezone,
  phone: row.phone,
  email: row.email,
  openingHours: row.openingHours as ClinicSettingsResource['openingHours'],
  gridMinutes: row.gridMinutes,
});

export const toClinicianDetail = (row: ClinicianRow): ClinicianDetailResource => ({
  id: row.id,
  name: row.name,
  email: row.email,
  weeklyHours: row.weeklyHours as ClinicianDetailResource['weeklyHours'],
  active: row.active,
});

export const toResource = (row: ResourceRow): ClinicResourceResource => ({
  id: row.id,
  kind: row.kind,
  category: row.category,
  name: row.name,
  features: row.features,
  active: row.active,
});

export const toProcedureType = (row: ProcedureTypeRow): ProcedureTypeResource => ({
  code: row.code,
  name: row.name,
  durationMinutes: row.durationMinutes,
  bufferAfterMinutes: row.bufferAfterMinutes,
  requires: row.requires,
});

/** Half-open ranges [a, b) of the query, when given. */
interface Range {
  from?: Date;
  to?: Date;
}

/** A closure of the clinic, or a clinician's time off: [startsAt, endsAt). */
export interface SetupPeriod {
  clinicianId?: string;
  startsAt: Date;
  endsAt: Date;
}

/** How far back the kept closures and time off reach (see ClinicSetup.periodsFrom). */
const PERIODS_BACK_MS = 86_400_000;

/**
 * A clinic's setup as read at one version: the clinic, its clinicians, procedure types,
 * resources, and its closures and time off from a day before the read on. Shared by the requests
 * that read the same version, so everything in it is frozen.
 */
export class ClinicSetup {
  private readonly cliniciansById: ReadonlyMap<string, ClinicianRow>;
  private readonly typesByCode: ReadonlyMap<string, ProcedureTypeResource>;
  /** The active clinicians by name. */
  readonly activeClinicians: readonly ClinicianRow[];

  constructor(
    readonly clinic: ClinicRow,
    clinicianRows: readonly ClinicianRow[],
    typeRows: readonly ProcedureTypeRow[],
    /** Every resource, active or not, by name (then id). */
    readonly resources: readonly ResourceRow[],
    /** Every closure and time off that ends after this: a search from before it reads them itself. */
    readonly periodsFrom: Date,
    readonly closures: readonly SetupPeriod[],
    readonly timeOff: readonly SetupPeriod[],
  ) {
    this.cliniciansById = new Map(clinicianRows.map((c) => [c.id, c]));
    this.activeClinicians = Object.freeze(clinicianRows.filter((c) => c.active));
    this.typesByCode = new Map(typeRows.map((t) => [t.code, deepFreeze(toProcedureType(t))]));
  }

  /** An active clinician, for booking. */
  clinician(id: string): ClinicianRow {
    const row = this.cliniciansById.get(id);
    if (!row || !row.active) throw new DomainError('CLINICIAN.NOT_FOUND', `clinician ${id} was not found`, 404, 'clinicianId');
    return row;
  }

  procedureType(code: string): ProcedureTypeResource {
    const type = this.typesByCode.get(code);
    if (!type) throw new DomainError('PROCEDURE_TYPE.UNKNOWN', `procedureType "${code}" is not a procedure type of this clinic`, 400, 'procedureType');
    return type;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Setups kept in memory, one per clinic, each with the version it was read at. */
const KEPT_CLINICS = 1_000;

/**
 * Reads of the clinic's setup: hours, clinicians, closures, time off, rooms and procedure types.
 * The setup (the clinic, clinicians, procedure types, resources, and closures and time off from a
 * day back) is kept in memory with its version (scheduling.setup_versions, moved on by a trigger
 * on every change): a read costs one small statement while nothing changed, and sees a change as
 * soon as it is committed, on every replica. The listings of the admin's API read the tables.
 */
@Injectable()
export class ClinicService {
  private readonly kept = new Map<string, { version: number; setup: ClinicSetup }>();

  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * The clinic's setup as of now (as `db` sees it: inside a transaction that changed the setup,
   * its own changes). One statement when the kept copy is current, seven when it is not.
   */
  async setup(clinicId: string, db: Executor = this.db): Promise<ClinicSetup> {
    const [current] = await db.select({ version: setupVersions.version }).from(setupVersions).where(eq(setupVersions.clinicId, clinicId));
    const kept = this.kept.get(clinicId);
    if (current && kept && kept.version === current.version) return kept.setup;
    const [clinic] = await db.select().from(clinics).where(eq(clinics.id, clinicId));
    if (!clinic) throw notFound('Clinic', clinicId);
    const clinicianRows = await db.select().from(clinicians).where(eq(clinicians.clinicId, clinicId)).orderBy(asc(clinicians.name), asc(clinicians.id));
    const typeRows = await db.select().from(procedureTypes).where(eq(procedureTypes.clinicId, clinicId));
    const resourceRows = await db.select().from(resources).where(eq(resources.clinicId, clinicId)).orderBy(asc(resources.name), asc(resources.id));
    const periodsFrom = new Date(this.clock.now().getTime() - PERIODS_BACK_MS);
    const closureRows = await db
      .select({ startsAt: closures.startsAt, endsAt: closures.endsAt })
      .from(closures)
      .where(and(eq(closures.clinicId, clinicId), gt(closures.endsAt, periodsFrom)))
      .orderBy(asc(closures.startsAt));
    const timeOffRows = await db
      .select({ clinicianId: timeOff.clinicianId, startsAt: timeOff.startsAt, endsAt: timeOff.endsAt })
      .from(timeOff)
      .where(and(eq(timeOff.clinicId, clinicId), gt(timeOff.endsAt, periodsFrom)))
      .orderBy(asc(timeOff.startsAt));
    const setup = new ClinicSetup(
      deepFreeze(clinic),
      deepFreeze(clinicianRows),
      typeRows,
      deepFreeze(resourceRows),
      periodsFrom,
      deepFreeze(closureRows),
      deepFreeze(timeOffRows),
    );
    // No version (a clinic from before the trigger, rows written around it): read every time.
    if (current) {
      if (!kept && this.kept.size >= KEPT_CLINICS) this.kept.clear();
      this.kept.set(clinicId, { version: current.version, setup });
    }
    return setup;
  }

  async clinic(clinicId: string, db: Executor = this.db): Promise<ClinicRow> {
    return (await this.setup(clinicId, db)).clinic;
  }

  async listClinicians(ctx: RequestContext): Promise<ClinicianResource[]> {
    return (await this.setup(ctx.clinicId)).activeClinicians.map((c) => ({ id: c.id, name: c.name }));
  }

  /** Any clinician of the clinic, active or not (admin view). */
  async clinicianDetail(ctx: RequestContext, id: string): Promise<ClinicianDetailResource> {
    const [row] = await this.db.select().from(clinicians).where(and(eq(clinicians.id, id), eq(clinicians.clinicId, ctx.clinicId)));
    if (!row) throw notFound('Clinician', id);
    return toClinicianDetail(row);
  }

  /** An active clinician, for booking. */
  async clinician(clinicId: string, id: string, db: Executor = this.db): Promise<ClinicianRow> {
    return (await this.setup(clinicId, db)).clinician(id);
  }

  async activeClinicians(clinicId: string, db: Executor = this.db): Promise<readonly ClinicianRow[]> {
    return (await this.setup(clinicId, db)).activeClinicians;
  }

  async listProcedureTypes(ctx: RequestContext): Promise<ProcedureTypeResource[]> {
    const rows = await this.db.select().from(procedureTypes).where(eq(procedureTypes.clinicId, ctx.clinicId)).orderBy(asc(procedureTypes.code));
    return rows.map(toProcedureType);
  }

  async procedureType(clinicId: string, code: string, db: Executor = this.db): Promise<ProcedureTypeResource> {
    return (await this.setup(clinicId, db)).procedureType(code);
  }

  async listResources(clinicId: string, db: Executor = this.db): Promise<ClinicResourceResource[]> {
    const rows = await db.select().from(resources).where(eq(resources.clinicId, clinicId)).orderBy(asc(resources.kind), asc(resources.name));
    return rows.map(toResource);
  }

  async closures(clinicId: string, range: Range, db: Executor = this.db): Promise<ClosureResource[]> {
    const rows = await db
      .select()
      .from(closures)
      .where(and(eq(closures.clinicId, clinicId), range.to ? lt(closures.startsAt, range.to) : undefined, range.from ? gt(closures.endsAt, range.from) : undefined))
      .orderBy(asc(closures.startsAt));
    return rows.map((r) => ({ id: r.id, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString(), reason: r.reason }));
  }

  async timeOff(clinicId: string, range: Range & { clinicianId?: string }, db: Executor = this.db): Promise<TimeOffResource[]> {
    const rows = await db
      .select()
      .from(timeOff)
      .where(
        and(
          eq(timeOff.clinicId, clinicId),
          range.clinicianId ? eq(timeOff.clinicianId, range.clinicianId) : undefined,
          range.to ? lt(timeOff.startsAt, range.to) : undefined,
          range.from ? gt(timeOff.endsAt, range.from) : undefined,
        ),
      )
      .orderBy(asc(timeOff.startsAt));
    return rows.map((r) => ({ id: r.id, clinicianId: r.clinicianId, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString(), reason: r.reason }));
  }
}
