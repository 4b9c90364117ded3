import type { IncomingMessage } from 'node:http';
import type { Role } from '@aftercare/contracts';

/** The staff member a request is made by, as the auth guard found them in the database. */
export interface AuthUser {
  id: string;
  clinicId: string;
  role: Role;
  clinicianId: string | null;
  email: string;
  name: string;
}

/**
 * The parts of Express's request the gateway reads (the project does not ship @types/express).
 * `user` is set by the auth guard, `correlationId` by the request-id middleware and `rawBody`
 * by Nest (`rawBody: true`), which the Twilio signature check needs.
 */
export interface GatewayRequest extends IncomingMessage {
  method: string;
  originalUrl: string;
  body?: unknown;
  params?: Record<string, string | undefined>;
  query?: Record<string, unknown>;
  route?: { path: string };
  rawBody?: Buffer;
  user?: AuthUser;
  /** The client's address as Express sees it (behind trusted proxies: TRUST_PROXY). */
  ip?: string;
  correlationId?: string;
}

/** Drops absent (undefined) fields, so a service sees only what was asked for. */
export const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
