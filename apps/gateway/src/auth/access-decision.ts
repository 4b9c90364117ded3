import type { Role } from '@aftercare/contracts';
import type { AuthUser } from '../common/http.js';

/** What a route declares about access (from @Public and @Roles). */
export interface RouteAccess {
  isPublic: boolean;
  roles: readonly Role[] | undefined;
}

/** Who the caller turned out to be, or why nobody. */
export type Authentication = { user: AuthUser } | { user: null; problem: string };

export type AccessDecision = { allow: true } | { allow: false; status: 401 | 403; message: string };

/**
 * The auth guard's decision, kept free of Nest and I/O so it can be tested on its own.
 * Deny by default: a non-public route that forgot @Roles is closed, not open.
 */
export function decideAccess(route: RouteAccess, auth: Authentication): AccessDecision {
  if (route.isPublic) return { allow: true };
  if (!auth.user) return { allow: false, status: 401, message: auth.problem };
  if (!route.roles || route.roles.length === 0) {
    return { allow: false, status: 403, message: 'This route declares no roles, so nobody may use it' };
  }
  if (!route.roles.includes(auth.user.role)) {
    return { allow: false, status: 403, message: `The ${auth.user.role} role may not do this; it needs one of: ${route.roles.join(', ')}` };
  }
  return { allow: true };
}
