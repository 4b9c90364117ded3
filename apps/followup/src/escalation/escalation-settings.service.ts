import { Inject, Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import type { EscalationRulesResource, PutEscalationRulesData, RequestContext } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DRIZZLE, PreparedQuery, type Db, type Executor } from '@aftercare/database';
import { DomainError } from '@aftercare/messaging';
import { escalationSettings } from '../database/schema.js';
import { DEFAULT_RULES, rulesProblem, type EscalationRules } from './escalation.rules.js';

/** A clinic's row of rules: read for every check-in that goes out or comes back (PreparedQuery). */
const RULES = new PreparedQuery('followup.escalation.rules', (db) => db.select().from(escalationSettings).where(eq(escalationSettings.clinicId, sql.placeholder('clinicId'))));

/** A clinic's escalation rules: its row, or the defaults of PRODUCT.md. */
@Injectable()
export class EscalationSettingsService {
  constructor(
    @Inject(DRIZZLE) private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async rulesOf(clinicId: string, db: Executor = this.db): Promise<EscalationRules> {
    const [row] = await RULES.execute(db, { clinicId });
    if (!row) return DEFAULT_RULES;
    return { highScore: row.highScore, riseBy: row.riseBy, missedInARow: row.missedInARow, answerWindowHours: row.answerWindowHours, freeText: row.freeText, emailAlerts: row.emailAlerts };
  }

  async get(ctx: RequestContext): Promise<EscalationRulesResource> {
    const [row] = await this.db.select().from(escalationSettings).where(eq(escalationSettings.clinicId, ctx.clinicId));
    if (!row) return { ...DEFAULT_RULES, updatedAt: null, updatedBy: null };
    return {
      highScore: row.highScore,
      riseBy: row.riseBy,
      missedInARow: row.missedInARow,
      answerWindowHours: row.answerWindowHours,
      freeText: row.freeText,
      emailAlerts: row.emailAlerts,
      updatedAt: row.updatedAt.toISOString(),
      updatedBy: row.updatedBy,
    };
  }

  /** Changes the clinic's rules: fields left out keep their value (the gateway checked the shapes). */
  async put(ctx: RequestContext, data: PutEscalationRulesData): Promise<EscalationRulesResource> {
    await this.db.transaction(async (tx) => {
      // One change of a clinic's rules at a time (its row may not exist yet, so the lock is on
      // the clinic's key): each merges into what the one before wrote, and both keep their fields.
      await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`followup.escalation_settings:${ctx.clinicId}`}))`);
      const current = await this.rulesOf(ctx.clinicId, tx);
      const rules: EscalationRules = {
        highScore: data.highScore !== undefined ? data.highScore : current.highScore,
        riseBy: data.riseBy !== undefined ? data.riseBy : current.riseBy,
        missedInARow: data.missedInARow !== undefined ? data.missedInARow : current.missedInARow,
        answerWindowHours: data.answerWindowHours !== undefined ? data.answerWindowHours : current.answerWindowHours,
        freeText: data.freeText ?? current.freeText,
        emailAlerts: data.emailAlerts ?? current.emailAlerts,
      };
      const problem = rulesProblem(rules);
      if (problem) throw new DomainError('ESCALATION.INVALID_RULE', problem.message, 400, problem.field);
      const values = { ...rules, updatedAt: this.clock.now(), updatedBy: ctx.userId };
      await tx
        .insert(escalationSettings)
        .values({ clinicId: ctx.clinicId, ...values })
        .onConflictDoUpdate({ target: escalationSettings.clinicId, set: values });
    });
    return this.get(ctx);
  }
}
