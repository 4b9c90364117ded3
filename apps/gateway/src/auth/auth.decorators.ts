import { SetMetadata } from '@nestjs/common';
import type { Role } from '@aftercare/contracts';

export const IS_PUBLIC_KEY = 'aftercare:is-public';
export const ROLES_KEY = 'aftercare:roles';

/** The route needs no token (login, Twilio's webhooks, health). */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);

/** The roles that may use the route. A route without it is closed to everyone. */
export const Roles = (...roles: readonly Role[]) => SetMetadata(ROLES_KEY, roles);
