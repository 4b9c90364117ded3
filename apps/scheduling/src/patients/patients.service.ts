import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, ilike, inArray, ne, or, sql, type SQL } from 'drizzle-orm';
import type { CreatePatientData, ListPatientsData, PatientDuplicatesData, PatientPage, PatientResource, PossibleDuplicate, RequestContext } from '@aftercare/contracts';
import { CURSOR_PART, decodePageCursor, DRIZZLE, pageSize, PreparedQuery, sliceToPage, type Db, type Executor, type PageSizes } from '@aftercare/database';
import { DomainError, notFound, OutboxWriter } from '@aftercare/messaging';
import { patients, type PatientRow } from '../database/schema.js';

export const toPatientResource = (row: PatientRow): PatientResource => ({
  id: row.id,
  firstName: row.firstName,
  lastName: row.lastName,
  phone: row.phone,
  email: row.email,
  timezone: row.timezone,
  preferredChannel: row.preferredChannel,
  smsConsent: row.smsConsent,
  smsOptedOut: row.smsOptedOut,
  dateOfBirth: row.dateOfBirth,
  language: row.language,
  createdAt: row.createdAt.toISOString(),
});

/** The patients list: at most this many as an array; pages of 50 (up to 200) when paged. */
const PATIENT_PAGES: PageSizes = { list: 200, default: 50, max: 200 };
/** A page's cursor: the id of its last patient (whose name, the list's order, is read again). */
const PATIENT_CURSOR = [CURSOR_PART.uuid];

/** A patient of the clinic: read by every booking (PreparedQuery). */
const PATIENT = new PreparedQuery('scheduling.patients.by_id', (db) =>
  db.select().from(patients).where(and(eq(patients.id, sql.placeholder('id')), eq(patients.clinicId, sql.placeholder('clinicId')))),
);

@Injectable()
export class PatientsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(ctx: RequestContext, data: CreatePatientData): Promise<PatientResource> {
    if (data.preferredChannel !== 'sms' && !data.email) {
      throw new DomainError('PATIENT.EMAIL_REQUIRED', `email is required when preferredChannel is ${data.preferredChannel}`, 400, 'email');
    }
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(patients)
        .values({
          id: randomUUID(),
          clinicId: ctx.clinicId,
          firstName: data.firstName.trim(),
          lastName: data.lastName.trim(),
          phone: data.phone,
          email: data.email?.toLowerCase() ?? null,
          timezone: data.timezone,
          preferredChannel: data.preferredChannel,
          smsConsent: data.smsConsent,
          dateOfBirth: data.dateOfBirth ?? null,
          language: data.language ?? 'en',
        })
        .returning();
      await this.outbox.publish(
        tx,
        'patient.registered',
        {
          patientId: row!.id,
          firstName: row!.firstName,
          lastName: row!.lastName,
          phone: row!.phone,
          email: row!.email,
          timezone: row!.timezone,
          preferredChannel: row!.preferredChannel,
          smsConsent: row!.smsConsent,
          language: row!.language,
        },
        { clinicId: ctx.clinicId, correlationId: ctx.correlationId },
      );
      // Registered all the same (two family members may share a phone), with the warning.
      const possibleDuplicates = await this.duplicates(ctx, { phone: row!.phone, email: row!.email ?? undefined, excludeId: row!.id }, tx);
      return { ...toPatientResource(row!), possibleDuplicates };
    });
  }

  /** Patients with the same phone number or e-mail address: likely the same person. */
  async duplicates(ctx: RequestContext, data: PatientDuplicatesData, db: Executor = this.db): Promise<PossibleDuplicate[]> {
    const matches: SQL[] = [];
    if (data.phone) matches.push(eq(patients.phone, data.phone));
    if (data.email) matches.push(sql`lower(${patients.email}) = ${data.email.toLowerCase()}`);
    if (matches.length === 0) return [];
    const rows = await db
      .select()
      .from(patients)
      .where(and(eq(patients.clinicId, ctx.clinicId), or(...matches), data.excludeId ? ne(patients.id, data.excludeId) : undefined))
      .orderBy(asc(patients.lastName), asc(patients.firstName))
      .limit(20);
    return rows.map((r) => ({
      id: r.id,
      name: `${r.firstName} ${r.lastName}`,
      matchedOn: [
        ...(data.phone && r.phone === data.phone ? (['phone'] as const) : []),
        ...(data.email && r.email?.toLowerCase() === data.email.toLowerCase() ? (['email'] as const) : []),
      ],
    }));
  }

  /**
   * Search by any part of the name, phone or e-mail, and/or the date of birth, by name. Each hit
   * carries the other patients sharing its phone or e-mail, so the desk sees likely duplicates. A
   * page `{ items, nextCursor }` when the caller pages (limit or cursor); otherwise every match as
   * an array - and when more than PATIENT_PAGES.list match, a 400 that says how to narrow or page,
   * never the first ones alone.
   */
  async list(ctx: RequestContext, data: ListPatientsData = {}): Promise<PatientResource[] | PatientPage> {
    const size = pageSize(data, PATIENT_PAGES);
    const q = data.query?.trim();
    const digits = q?.replace(/[\s().-]/g, '');
    const match = q
      ? or(
          ilike(sql`${patients.firstName} || ' ' || ${patients.lastName}`, `%${escapeLike(q)}%`),
          ilike(sql`${patients.lastName} || ', ' || ${patients.firstName}`, `%${escapeLike(q)}%`),
          digits && /^\+?\d{3,}$/.test(digits) ? ilike(patients.phone, `%${escapeLike(digits)}%`) : undefined,
          ilike(patients.email, `%${escapeLike(q)}%`),
        )
      : undefined;
    let after: SQL | undefined;
    if (data.cursor) {
      // The cursor names the page's last patient only (a fixed size, and no name in a URL): their sort key is read here.
      const key = decodePageCursor(data.cursor, PATIENT_CURSOR);
      const [last] = key ? await this.db.select({ lastName: patients.lastName, firstName: patients.firstName, id: patients.id }).from(patients).where(and(eq(patients.id, key[0]!), eq(patients.clinicId, ctx.clinicId))) : [];
      if (!last) throw new DomainError('PATIENT.BAD_CURSOR', 'cursor is not a nextCursor of this list (keep the same query between pages, or start again without one)', 400, 'cursor');
      after = sql`(${patients.lastName}, ${patients.firstName}, ${patients.id}) > (${last.lastName}, ${last.firstName}, ${last.id}::uuid)`;
    }
    const rows = await this.db
      .select()
      .from(patients)
      .where(and(eq(patients.clinicId, ctx.clinicId), match, data.dateOfBirth ? eq(patients.dateOfBirth, data.dateOfBirth) : undefined, after))
      .orderBy(asc(patients.lastName), asc(patients.firstName), asc(patients.id))
      .limit(size.limit + 1);
    const tooMany = () =>
      new DomainError(
        'PATIENT.TOO_MANY',
        `More than ${size.limit} patients match: search by more of the name, the phone or e-mail (query) or the date of birth (dateOfBirth), or page through them with limit and cursor`,
        400,
        'query',
      );
    const { page, nextCursor } = sliceToPage(rows, size, (r) => [r.id], tooMany);
    const items = await this.withDuplicates(ctx, page);
    return size.paged ? { items, nextCursor } : items;
  }

  /** Each patient with the other patients sharing their phone or e-mail (one query for all). */
  private async withDuplicates(ctx: RequestContext, rows: PatientRow[]): Promise<PatientResource[]> {
    if (rows.length === 0) return [];
    // One query for every hit's duplicates: same phone or same e-mail, another patient.
    const phones = [...new Set(rows.map((r) => r.phone))];
    const emails = [...new Set(rows.flatMap((r) => (r.email ? [r.email.toLowerCase()] : [])))];
    const others = await this.db
      .select()
      .from(patients)
      .where(and(eq(patients.clinicId, ctx.clinicId), or(inArray(patients.phone, phones), emails.length ? inArray(sql`lower(${patients.email})`, emails) : undefined)));
    return rows.map((r) => {
      const possibleDuplicates = others
        .filter((o) => o.id !== r.id && (o.phone === r.phone || (!!r.email && o.email?.toLowerCase() === r.email.toLowerCase())))
        .map((o) => ({
          id: o.id,
          name: `${o.firstName} ${o.lastName}`,
          matchedOn: [...(o.phone === r.phone ? (['phone'] as const) : []), ...(r.email && o.email?.toLowerCase() === r.email.toLowerCase() ? (['email'] as const) : [])],
        }));
      return { ...toPatientResource(r), possibleDuplicates };
    });
  }

  async get(ctx: RequestContext, id: string, db: Executor = this.db): Promise<PatientRow> {
    const [row] = await PATIENT.execute(db, { id, clinicId: ctx.clinicId });
    if (!row) throw notFound('Patient', id);
    return row;
  }

  async setSmsOptedOut(tx: Executor, clinicId: string, patientId: string, optedOut: boolean): Promise<void> {
    await tx.update(patients).set({ smsOptedOut: optedOut }).where(and(eq(patients.id, patientId), eq(patients.clinicId, clinicId)));
  }
}

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);
