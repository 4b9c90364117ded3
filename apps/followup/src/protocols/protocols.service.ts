import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, desc, eq } from 'drizzle-orm';
import {
  PATTERNS,
  type AddProtocolVersionData,
  type CreateProtocolData,
  type ListProtocolsData,
  type ProcedureTypeResource,
  type ProtocolResource,
  type ProtocolStepData,
  type RequestContext,
  type SetProtocolActiveData,
} from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DomainError, notFound, ServiceClient } from '@aftercare/messaging';
import { DEFAULT_PROTOCOLS, parseOffset, protocolProblems, validateProtocol, type ProtocolDefinition, type ProtocolStep } from '../care-plans/domain/protocol.js';
import { sameScope, selectProtocol, siteWords, type ProcedureFacts } from '../care-plans/domain/protocol.selection.js';
import { protocolHeads, protocols } from '../database/schema.js';

type HeadRow = typeof protocolHeads.$inferSelect;
type VersionRow = typeof protocols.$inferSelect;

const siteKey = (site: string | null | undefined): string => (site ? siteWords(site).join(' ') : '');
/**
 * A version as plans start from it: its stored definition with the head's scope (the scope is the
 * head's, so a version keeps no stale copy of it).
 */
export function protocolDefinition(
  version: Pick<VersionRow, 'definition' | 'code' | 'version' | 'procedureType'>,
  head: Pick<HeadRow, 'site' | 'condition'>,
): ProtocolDefinition {
  return { ...version.definition, code: version.code, version: version.version, procedureType: version.procedureType, site: head.site, condition: head.condition };
}

/** The head row of `code` in the clinic. */
const headOf = (clinicId: string, code: string) => and(eq(protocolHeads.clinicId, clinicId), eq(protocolHeads.code, code));

/**
 * Protocols are data an admin edits, versioned: an edit is a new version and the old one stays,
 * so a running care plan keeps the version it started with (its steps were planned from it and
 * are rows of their own). Each code has a head row: its scope, whether it is active, and the
 * version new plans start from.
 */
@Injectable()
export class ProtocolsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
    private readonly services: ServiceClient,
  ) {}

  /**
   * The current version of the most specific active protocol for a completed procedure (see
   * protocol.selection.ts), or null when the clinic has none for its type.
   */
  async forProcedure(tx: Executor, clinicId: string, procedureType: string, facts: ProcedureFacts): Promise<ProtocolDefinition | null> {
    const heads = await tx
      .select()
      .from(protocolHeads)
      .where(and(eq(protocolHeads.clinicId, clinicId), eq(protocolHeads.procedureType, procedureType), eq(protocolHeads.active, true)));
    const chosen = selectProtocol(heads, facts);
    if (!chosen) return null;
    const [row] = await tx
      .select()
      .from(protocols)
      .where(and(eq(protocols.clinicId, clinicId), eq(protocols.code, chosen.code), eq(protocols.version, chosen.currentVersion)));
    return row ? protocolDefinition(row, chosen) : null;
  }

  /** The default protocols of PRODUCT.md for a clinic that has none yet (idempotent). */
  async seedDefaults(clinicId: string): Promise<number> {
    let created = 0;
    for (const protocol of DEFAULT_PROTOCOLS) {
      const problems = validateProtocol(protocol);
      if (problems.length) throw new Error(`Default protocol ${protocol.code} is invalid: ${problems.join('; ')}`);
      await this.db.transaction(async (tx) => {
        const rows = await tx
          .insert(protocols)
          .values({ id: randomUUID(), clinicId, code: protocol.code, version: protocol.version, procedureType: protocol.procedureType, name: protocol.name, definition: protocol })
          .onConflictDoNothing()
          .returning({ id: protocols.id });
        created += rows.length;
        // No head when the admin already made another protocol the type's default: that one stays.
        await tx
          .insert(protocolHeads)
          .values({ clinicId, code: protocol.code, procedureType: protocol.procedureType, name: protocol.name, currentVersion: protocol.version })
          .onConflictDoNothing();
      });
    }
    return created;
  }

  async list(ctx: RequestContext, query: ListProtocolsData): Promise<ProtocolResource[]> {
    const rows = await this.db
      .select({ head: protocolHeads, version: protocols })
      .from(protocolHeads)
      .innerJoin(protocols, and(eq(protocols.clinicId, protocolHeads.clinicId), eq(protocols.code, protocolHeads.code), eq(protocols.version, protocolHeads.currentVersion)))
      .where(
        and(
          eq(protocolHeads.clinicId, ctx.clinicId),
          query.procedureType ? eq(protocolHeads.procedureType, query.procedureType) : undefined,
          query.active !== undefined ? eq(protocolHeads.active, query.active) : undefined,
        ),
      )
      .orderBy(asc(protocolHeads.procedureType), asc(protocolHeads.code));
    return rows.map(({ head, version }) => this.toResource(head, version));
  }

  async get(ctx: RequestContext, code: string): Promise<ProtocolResource> {
    const head = await this.head(this.db, ctx.clinicId, code);
    const versions = await this.db
      .select()
      .from(protocols)
      .where(and(eq(protocols.clinicId, ctx.clinicId), eq(protocols.code, code)))
      .orderBy(desc(protocols.version));
    const current = versions.find((v) => v.version === head.currentVersion)!;
    return {
      ...this.toResource(head, current),
      versions: versions.map((v) => ({
        version: v.version,
        name: v.name,
        steps: v.definition.steps as ProtocolStepData[],
        note: v.note,
        createdAt: v.createdAt.toISOString(),
        createdBy: v.createdBy,
      })),
    };
  }

  async create(ctx: RequestContext, data: CreateProtocolData): Promise<ProtocolResource> {
    const definition = this.definition({ ...data, version: 1 });
    await this.assertProcedureType(ctx, definition.procedureType);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const [existing] = await tx.select().from(protocolHeads).where(headOf(ctx.clinicId, definition.code));
      if (existing) throw new DomainError('PROTOCOL.CODE_TAKEN', `A protocol with code ${definition.code} exists; edit it with POST /api/protocols/${definition.code}/versions`, 409, 'code');
      await this.assertScopeFree(tx, ctx.clinicId, definition);
      await tx.insert(protocolHeads).values({
        clinicId: ctx.clinicId,
        code: definition.code,
        procedureType: definition.procedureType,
        site: definition.site ?? null,
        siteKey: siteKey(definition.site),
        condition: definition.condition ?? null,
        name: definition.name,
        active: true,
        currentVersion: 1,
        createdAt: now,
        updatedAt: now,
        updatedBy: ctx.userId,
      });
      await this.insertVersion(tx, ctx, definition, data.note ?? null, now);
    });
    return this.get(ctx, definition.code);
  }

  /** An edit: a new version that new care plans start from; plans already running keep theirs. */
  async addVersion(ctx: RequestContext, data: AddProtocolVersionData): Promise<ProtocolResource> {
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      const head = await this.head(tx, ctx.clinicId, data.code, { lock: true });
      const definition = this.definition({
        code: head.code,
        version: head.currentVersion + 1,
        procedureType: head.procedureType,
        name: data.name ?? head.name,
        site: head.site,
        condition: head.condition,
        steps: data.steps,
      });
      await this.insertVersion(tx, ctx, definition, data.note ?? null, now);
      await tx
        .update(protocolHeads)
        .set({ currentVersion: definition.version, name: definition.name, updatedAt: now, updatedBy: ctx.userId })
        .where(headOf(ctx.clinicId, head.code));
    });
    return this.get(ctx, data.code);
  }

  /** Retires a protocol (no new plan starts from it; running ones go on) or brings it back. */
  async setActive(ctx: RequestContext, data: SetProtocolActiveData): Promise<ProtocolResource> {
    await this.db.transaction(async (tx) => {
      const head = await this.head(tx, ctx.clinicId, data.code, { lock: true });
      if (head.active === data.active) return;
      if (data.active) await this.assertScopeFree(tx, ctx.clinicId, head);
      await tx
        .update(protocolHeads)
        .set({ active: data.active, updatedAt: this.clock.now(), updatedBy: ctx.userId })
        .where(headOf(ctx.clinicId, head.code));
    });
    return this.get(ctx, data.code);
  }

  /** The definition as stored: trimmed, optional parts left out when empty, then validated (400 naming the field). */
  private definition(input: Omit<ProtocolDefinition, 'steps'> & { steps: ProtocolStepData[] }): ProtocolDefinition {
    const steps: ProtocolStep[] = (input.steps ?? []).map((s, i) => ({
      key: s.key,
      kind: s.kind,
      offset: this.offset(s.offset, `steps.${i}.offset`),
      ...(s.at !== undefined && s.at !== null ? { at: s.at } : {}),
      ...(s.window !== undefined && s.window !== null ? { window: { fromDays: s.window.fromDays, toDays: s.window.toDays } } : {}),
      ...(s.bookAheadDays !== undefined && s.bookAheadDays !== null ? { bookAheadDays: s.bookAheadDays } : {}),
    }));
    const definition: ProtocolDefinition = {
      code: input.code,
      version: input.version,
      procedureType: input.procedureType,
      name: input.name?.trim(),
      ...(input.site?.trim() ? { site: input.site.trim() } : {}),
      ...(input.condition ? { condition: input.condition } : {}),
      steps,
    };
    const [problem] = protocolProblems(definition);
    if (problem) throw new DomainError('PROTOCOL.INVALID', problem.message, 400, problem.field);
    return definition;
  }

  private offset(value: ProtocolStepData['offset'] | undefined, field: string): ProtocolStep['offset'] {
    if (typeof value === 'string') {
      const parsed = parseOffset(value);
      if (!parsed) throw new DomainError('PROTOCOL.INVALID', `${field} must be an ISO 8601 duration of weeks, days, hours and minutes such as P3D or PT2H (got "${value}")`, 400, field);
      return parsed;
    }
    return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined && v !== null));
  }

  private async insertVersion(tx: Executor, ctx: RequestContext, definition: ProtocolDefinition, note: string | null, now: Date): Promise<void> {
    await tx.insert(protocols).values({
      id: randomUUID(),
      clinicId: ctx.clinicId,
      code: definition.code,
      version: definition.version,
      procedureType: definition.procedureType,
      name: definition.name,
      definition,
      createdAt: now,
      createdBy: ctx.userId,
      note,
    });
  }

  /** Two active protocols for exactly the same procedures would make the choice arbitrary: 409. */
  private async assertScopeFree(tx: Executor, clinicId: string, p: { code: string; procedureType: string; site?: string | null; condition?: string | null }): Promise<void> {
    const active = await tx
      .select()
      .from(protocolHeads)
      .where(and(eq(protocolHeads.clinicId, clinicId), eq(protocolHeads.procedureType, p.procedureType), eq(protocolHeads.active, true)));
    const clash = active.find((h) => h.code !== p.code && sameScope(h, { site: p.site ?? null, condition: p.condition ?? null }));
    if (clash) {
      const scope = [p.procedureType, p.site && `site "${p.site}"`, p.condition && `condition ${p.condition}`].filter(Boolean).join(', ');
      throw new DomainError(
        'PROTOCOL.SCOPE_TAKEN',
        `The active protocol ${clash.code} already covers ${scope}; edit it (a new version), or retire it first with PATCH /api/protocols/${clash.code}`,
        409,
        p.site ? 'site' : p.condition ? 'condition' : 'procedureType',
      );
    }
  }

  /** The procedure type must exist in the clinic (scheduling owns them). */
  private async assertProcedureType(ctx: RequestContext, code: string): Promise<void> {
    const types = await this.services.send<ProcedureTypeResource[]>(PATTERNS.scheduling.procedureTypesList, { ctx, data: {} });
    if (!types.some((t) => t.code === code)) {
      throw new DomainError('PROTOCOL.UNKNOWN_PROCEDURE_TYPE', `procedureType ${code} is not a procedure type of this clinic (GET /api/procedure-types)`, 400, 'procedureType');
    }
  }

  /** The head row of `code`, or 404; `lock` holds it (FOR UPDATE) until the transaction ends. */
  private async head(db: Executor, clinicId: string, code: string, opts: { lock?: boolean } = {}): Promise<HeadRow> {
    const query = db.select().from(protocolHeads).where(headOf(clinicId, code));
    const [head] = opts.lock ? await query.for('update') : await query;
    if (!head) throw notFound('Protocol', code);
    return head;
  }

  private toResource(head: HeadRow, version: VersionRow): ProtocolResource {
    return {
      code: head.code,
      name: head.name,
      procedureType: head.procedureType,
      site: head.site,
      condition: head.condition,
      active: head.active,
      version: head.currentVersion,
      steps: version.definition.steps as ProtocolStepData[],
      updatedAt: head.updatedAt.toISOString(),
    };
  }
}
