import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq } from 'drizzle-orm';
import { DRIZZLE, type Db, type Executor } from '@aftercare/database';
import { DEFAULT_PROTOCOLS, validateProtocol, type ProtocolDefinition } from '../care-plans/domain/protocol.js';
import { protocols } from '../database/schema.js';

/** Protocols are data, versioned: a running care plan keeps the version it started with. */
@Injectable()
export class ProtocolsService {
  constructor(@Inject(DRIZZLE) private readonly db: Db) {}

  /** The newest active protocol for a procedure type, or null when the clinic has none. */
  async forProcedureType(tx: Executor, clinicId: string, procedureType: string): Promise<ProtocolDefinition | null> {
    const [row] = await tx
      .select()
      .from(protocols)
      .where(and(eq(protocols.clinicId, clinicId), eq(protocols.procedureType, procedureType), eq(protocols.active, true)))
      .orderBy(desc(protocols.version))
      .limit(1);
    return row?.definition ?? null;
  }

  /** The default protocols of PRODUCT.md for a clinic that has none yet (idempotent). */
  async seedDefaults(clinicId: string): Promise<number> {
    let created = 0;
    for (const protocol of DEFAULT_PROTOCOLS) {
      const problems = validateProtocol(protocol);
      if (problems.length) throw new Error(`Default protocol ${protocol.code} is invalid: ${problems.join('; ')}`);
      const rows = await this.db
        .insert(protocols)
        .values({ id: randomUUID(), clinicId, code: protocol.code, version: protocol.version, procedureType: protocol.procedureType, name: protocol.name, definition: protocol })
        .onConflictDoNothing()
        .returning({ id: protocols.id });
      created += rows.length;
    }
    return created;
  }
}
