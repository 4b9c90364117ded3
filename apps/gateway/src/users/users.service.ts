import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PATTERNS, type ClinicianDetailResource, type RequestContext, type Role } from '@aftercare/contracts';
import { Clock } from '@aftercare/clock';
import { DomainError, notFound } from '@aftercare/messaging';
import { ServiceForwarder } from '../common/service-forwarder.service.js';
import type { UserRow } from '../database/schema.js';
import { passwordViolation } from './password.rules.js';
import { hashPassword } from './passwords.js';
import { clinicianLinkViolation, planUserChange, UserRuleViolation } from './user.rules.js';
import { UsersRepository } from './users.repository.js';

/** A staff user as the admin's user list shows them: never the password hash. */
export interface UserResource {
  id: string;
  email: string;
  name: string;
  role: Role;
  clinicianId: string | null;
  disabled: boolean;
  createdAt: string;
}

export interface CreateUser {
  email: string;
  name: string;
  role: Role;
  password: string;
  clinicianId?: string | null;
}

export interface UpdateUser {
  name?: string;
  role?: Role;
  clinicianId?: string | null;
  disabled?: boolean;
  password?: string;
}

export const toUserResource = (row: UserRow): UserResource => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  clinicianId: row.clinicianId,
  disabled: row.disabled,
  createdAt: row.createdAt.toISOString(),
});

/**
 * The clinic's staff users (the gateway owns them: it signs people in). An admin adds users,
 * changes their name, role, clinician and password, and disables them; the auth guard reloads
 * the user on every request, so a change of role takes effect at once, and disabling or a new
 * password end the user's sessions.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly services: ServiceForwarder,
    private readonly clock: Clock,
  ) {}

  async list(ctx: RequestContext): Promise<UserResource[]> {
    return (await this.users.listByClinic(ctx.clinicId)).map(toUserResource);
  }

  async create(ctx: RequestContext, input: CreateUser): Promise<UserResource> {
    const email = input.email.trim().toLowerCase();
    const clinicianId = input.clinicianId ?? null;
    rule(() => {
      const violation = clinicianLinkViolation(input.role, clinicianId) ?? passwordViolation(input.password, email);
      if (violation) throw violation;
    });
    // Before the (deliberately slow) hash: the usual case of a taken e-mail answers at once.
    if (await this.users.findByEmail(email)) throw emailTaken();
    if (clinicianId) await this.clinicianOfClinic(ctx, clinicianId);
    const row = await this.users.insert({
      id: randomUUID(),
      clinicId: ctx.clinicId,
      email,
      name: input.name,
      role: input.role,
      clinicianId,
      passwordHash: await hashPassword(input.password),
      createdAt: this.clock.now(),
    });
    if (!row) throw emailTaken();
    return toUserResource(row);
  }

  async update(ctx: RequestContext, id: string, change: UpdateUser): Promise<UserResource> {
    const current = await this.users.findInClinic(ctx.clinicId, id);
    if (!current) throw notFound('User', id);
    const planned = rule(() => {
      const violation = change.password !== undefined ? passwordViolation(change.password, current.email) : null;
      if (violation) throw violation;
      return planUserChange(ctx.userId, current, change);
    });
    if (planned.linksClinician) await this.clinicianOfClinic(ctx, planned.clinicianId!);
    const set: Parameters<UsersRepository['update']>[2] = {};
    if (change.name !== undefined && change.name !== current.name) set.name = change.name;
    if (planned.role !== current.role) set.role = planned.role;
    if (planned.clinicianId !== current.clinicianId) set.clinicianId = planned.clinicianId;
    if (planned.disabled !== current.disabled) set.disabled = planned.disabled;
    if (change.password !== undefined) set.passwordHash = await hashPassword(change.password);
    if (Object.keys(set).length === 0) return toUserResource(current);
    // Disabling or a new password ends the user's sessions at once (their own one too, for an
    // admin setting their own password): whoever held a token or a refresh token has to sign in.
    const endSessions = set.disabled === true ? 'user_disabled' : set.passwordHash ? 'password_changed' : undefined;
    const updated = await this.users.update(ctx.clinicId, id, set, endSessions);
    if (!updated) throw notFound('User', id);
    return toUserResource(updated);
  }

  /** The clinician must be one of this clinic's, and active: scheduling owns clinicians. */
  private async clinicianOfClinic(ctx: RequestContext, id: string): Promise<ClinicianDetailResource> {
    let clinician: ClinicianDetailResource;
    try {
      clinician = await this.services.send<ClinicianDetailResource>(PATTERNS.scheduling.cliniciansGet, ctx, { id });
    } catch (error) {
      if (error instanceof DomainError && error.statusCode === 404) {
        throw new DomainError('USER.UNKNOWN_CLINICIAN', `clinicianId: no clinician ${id} in this clinic`, 400, 'clinicianId');
      }
      throw error;
    }
    if (!clinician.active) throw new DomainError('USER.CLINICIAN_INACTIVE', 'clinicianId: that clinician is no longer active', 409, 'clinicianId');
    return clinician;
  }
}

const emailTaken = () => new DomainError('USER.EMAIL_TAKEN', 'email: a user with this e-mail address exists already', 409, 'email');

/** Runs a plain rule; its violation becomes a DomainError naming the field. */
function rule<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof UserRuleViolation) throw new DomainError(error.code, error.message, error.statusCode, error.field);
    throw error;
  }
}
