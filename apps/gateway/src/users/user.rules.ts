import type { Role } from '@aftercare/contracts';

/** A change an admin may not make, with the status and the field the answer names. */
export class UserRuleViolation extends Error {
  override readonly name = 'UserRuleViolation';
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: 400 | 409,
    readonly field: string,
  ) {
    super(message);
  }
}

/** The user as the rules need them. */
export interface UserState {
  id: string;
  role: Role;
  clinicianId: string | null;
  disabled: boolean;
}

/** What PATCH /api/users/:id asks for; left-out fields keep their value (null unlinks the clinician). */
export interface UserChange {
  role?: Role;
  clinicianId?: string | null;
  disabled?: boolean;
}

/** What the user becomes, and whether the clinician link is new (then scheduling is asked that it exists). */
export interface PlannedUser {
  role: Role;
  clinicianId: string | null;
  disabled: boolean;
  linksClinician: boolean;
}

/**
 * Only a clinician user stands for a clinician: the link is what "my due list" and the
 * clinician's own appointments go by (RequestContext.clinicianId).
 */
export function clinicianLinkViolation(role: Role, clinicianId: string | null | undefined): UserRuleViolation | null {
  if (!clinicianId || role === 'clinician') return null;
  return new UserRuleViolation('USER.CLINICIAN_LINK_NEEDS_CLINICIAN_ROLE', 'clinicianId: only a user with the clinician role can be linked to a clinician', 400, 'clinicianId');
}

/**
 * Applies an admin's change to a user, or throws the rule it breaks. An admin cannot lock
 * themselves out (disable their own account, or take away their own admin role): another admin
 * has to, so that a clinic always keeps one who can undo a mistake. A user who stops being a
 * clinician loses the clinician link with the role.
 */
export function planUserChange(actorId: string | null, current: UserState, change: UserChange): PlannedUser {
  const self = actorId === current.id;
  if (self && change.disabled === true && !current.disabled) {
    throw new UserRuleViolation('USER.CANNOT_DISABLE_SELF', 'disabled: you cannot disable your own account; another admin can', 409, 'disabled');
  }
  if (self && current.role === 'admin' && change.role !== undefined && change.role !== 'admin') {
    throw new UserRuleViolation('USER.CANNOT_DEMOTE_SELF', 'role: you cannot take away your own admin role; another admin can', 409, 'role');
  }
  const role = change.role ?? current.role;
  const violation = clinicianLinkViolation(role, change.clinicianId);
  if (violation) throw violation;
  const clinicianId = change.clinicianId !== undefined ? change.clinicianId : role === 'clinician' ? current.clinicianId : null;
  return {
    role,
    clinicianId,
    disabled: change.disabled ?? current.disabled,
    linksClinician: clinicianId !== null && clinicianId !== current.clinicianId,
  };
}
