import { describe, expect, it } from '@jest/globals';
import { RequestMethod, type DynamicModule, type Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import type { Role } from '@aftercare/contracts';
import { loadConfig } from '@aftercare/config';
import { GatewayModule } from '../app.module.js';
import type { AuthUser } from '../common/http.js';
import { decideAccess, type Authentication, type RouteAccess } from './access-decision.js';
import { AuthController } from './auth.controller.js';
import { IS_PUBLIC_KEY, ROLES_KEY } from './auth.decorators.js';

const user = (role: Role): Authentication => ({
  user: { id: 'u1', clinicId: 'c1', role, clinicianId: null, email: 'x@example.com', name: 'X' } satisfies AuthUser,
});
const nobody: Authentication = { user: null, problem: 'Sign in first' };

describe('decideAccess', () => {
  it('lets anyone use a public route, signed in or not', () => {
    expect(decideAccess({ isPublic: true, roles: undefined }, nobody)).toEqual({ allow: true });
    expect(decideAccess({ isPublic: true, roles: undefined }, user('front_desk'))).toEqual({ allow: true });
  });

  it('answers 401 with the authentication problem when nobody is signed in', () => {
    expect(decideAccess({ isPublic: false, roles: ['admin'] }, nobody)).toEqual({ allow: false, status: 401, message: 'Sign in first' });
  });

  it('closes a route that forgot @Roles, even to admins (deny by default)', () => {
    for (const roles of [undefined, []]) {
      const decision = decideAccess({ isPublic: false, roles }, user('admin'));
      expect(decision).toMatchObject({ allow: false, status: 403 });
    }
  });

  it('lets a listed role in and refuses the others with 403 naming the role', () => {
    const clinical: RouteAccess = { isPublic: false, roles: ['clinician', 'admin'] };
    expect(decideAccess(clinical, user('clinician'))).toEqual({ allow: true });
    expect(decideAccess(clinical, user('admin'))).toEqual({ allow: true });
    expect(decideAccess(clinical, user('front_desk'))).toEqual({
      allow: false,
      status: 403,
      message: 'The front_desk role may not do this; it needs one of: clinician, admin',
    });
  });
});

describe('the roles every route declares', () => {
  /** Every controller the gateway serves, found by walking its modules: none can be missed. */
  function allControllers(): Type[] {
    const found = new Set<Type>();
    const seen = new Set<unknown>();
    const walk = (entry: Type | DynamicModule | Promise<DynamicModule> | undefined) => {
      if (!entry || entry instanceof Promise || seen.has(entry)) return;
      seen.add(entry);
      const module = 'module' in entry ? entry.module : entry;
      const dynamic = 'module' in entry ? entry : undefined;
      for (const c of [...((Reflect.getMetadata('controllers', module) as Type[] | undefined) ?? []), ...(dynamic?.controllers ?? [])]) found.add(c);
      for (const i of [...((Reflect.getMetadata('imports', module) as Type[] | undefined) ?? []), ...(dynamic?.imports ?? [])]) walk(i as Type | DynamicModule);
    };
    walk(GatewayModule.forRoot(loadConfig({})));
    return [...found];
  }
  const controllers = allControllers();

  /** "GET /api/patients/:id" → roles, or 'public'. */
  function routeTable(): Map<string, readonly Role[] | 'public' | 'none'> {
    const table = new Map<string, readonly Role[] | 'public' | 'none'>();
    for (const controller of controllers) {
      const base = String(Reflect.getMetadata(PATH_METADATA, controller));
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = controller.prototype[name];
        if (name === 'constructor' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const sub = String(Reflect.getMetadata(PATH_METADATA, handler));
        const path = `/${base}${sub === '/' ? '' : `/${sub}`}`.replace(/\/{2,}/g, '/');
        const isPublic = Reflect.getMetadata(IS_PUBLIC_KEY, handler) ?? Reflect.getMetadata(IS_PUBLIC_KEY, controller);
        const roles = Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, controller);
        table.set(`${method} ${path}`, isPublic ? 'public' : (roles ?? 'none'));
      }
    }
    return table;
  }

  const ALL = ['front_desk', 'clinician', 'admin'];
  const CLINICAL = ['clinician', 'admin'];
  const ADMIN = ['admin'];
  const expected: Record<string, string[] | 'public'> = {
    'POST /api/auth/login': 'public',
    // A refresh token stands in for the expired access token; logout checks the token itself
    // (an expired one may still end its session).
    'POST /api/auth/refresh': 'public',
    'POST /api/auth/logout': 'public',
    'GET /api/me': ALL,
    'GET /api/clinicians': ALL,
    'GET /api/procedure-types': ALL,
    'GET /api/availability': ALL,
    'POST /api/patients': ALL,
    'GET /api/patients': ALL,
    'GET /api/patients/:id': ALL,
    'GET /api/patients/:id/timeline': CLINICAL,
    // Pain scores are check-in answers: not for the front desk.
    'GET /api/patients/:id/outcomes': CLINICAL,
    'GET /api/outcomes/summary': CLINICAL,
    'GET /api/fhir/Patient/:id': CLINICAL,
    'GET /api/fhir/Patient/:id/$everything': CLINICAL,
    'GET /api/patients/duplicates': ALL,
    'GET /api/clinic': ALL,
    'PATCH /api/clinic': ADMIN,
    'GET /api/clinic/closures': ALL,
    'POST /api/clinic/closures': ADMIN,
    'DELETE /api/clinic/closures/:id': ADMIN,
    'GET /api/day-sheet': ALL,
    'GET /api/clinicians/:id': ALL,
    'POST /api/clinicians': ADMIN,
    'PATCH /api/clinicians/:id': ADMIN,
    'GET /api/time-off': ALL,
    'POST /api/time-off': ADMIN,
    'DELETE /api/time-off/:id': ADMIN,
    'GET /api/resources': ALL,
    'POST /api/resources': ADMIN,
    'PATCH /api/resources/:id': ADMIN,
    'POST /api/procedure-types': ADMIN,
    'PATCH /api/procedure-types/:code': ADMIN,
    'POST /api/waitlist': ALL,
    'GET /api/waitlist': ALL,
    'POST /api/waitlist/:id/cancel': ALL,
    'POST /api/appointments': ALL,
    'GET /api/appointments': ALL,
    'GET /api/appointments/:id': ALL,
    'POST /api/appointments/:id/reschedule': ALL,
    'POST /api/appointments/:id/cancel': ALL,
    'POST /api/appointments/:id/check-in': ALL,
    'POST /api/appointments/:id/no-show': ALL,
    'POST /api/appointments/:id/complete': CLINICAL,
    // The front desk may read the list's booking tasks only (kind=booking_task), without pain scores: the handler refuses the rest.
    'GET /api/follow-ups': ALL,
    'GET /api/follow-ups/counts': CLINICAL,
    'POST /api/follow-ups/:id/complete': CLINICAL,
    'POST /api/follow-ups/:id/decision': CLINICAL,
    'GET /api/follow-ups/:id': CLINICAL,
    'POST /api/follow-ups/:id/snooze': CLINICAL,
    'POST /api/follow-ups/:id/reassign': CLINICAL,
    // Escalation rules: clinicians read them, admins change them.
    'GET /api/escalation-rules': CLINICAL,
    'PUT /api/escalation-rules': ADMIN,
    // The front desk's list: booking facts only, no check-in answers.
    'GET /api/booking-tasks': ALL,
    'POST /api/booking-tasks/:id/complete': ALL,
    'POST /api/patients/:id/sms-opt-out': ALL,
    'POST /api/patients/:id/sms-hold/release': ALL,
    'GET /api/care-plans': CLINICAL,
    'GET /api/care-plans/:id': CLINICAL,
    'POST /api/care-plans/:id/pause': CLINICAL,
    'POST /api/care-plans/:id/resume': CLINICAL,
    'POST /api/care-plans/:id/cancel': CLINICAL,
    // Protocols are configuration: admins write, clinicians read what plans will do.
    'GET /api/protocols': CLINICAL,
    'GET /api/protocols/:code': CLINICAL,
    'POST /api/protocols': ADMIN,
    'POST /api/protocols/:code/versions': ADMIN,
    'PATCH /api/protocols/:code': ADMIN,
    'GET /api/messages': CLINICAL,
    // Sending a failed message again is the admin's (the failure list is their view).
    'POST /api/messages/:id/retry': ADMIN,
    // Live message changes for the open pages: bodies are clinical, so clinical roles only.
    'GET /api/live': CLINICAL,
    // Staff users and queue health are administration.
    'GET /api/users': ADMIN,
    'POST /api/users': ADMIN,
    'PATCH /api/users/:id': ADMIN,
    'GET /api/admin/queues': ADMIN,
    'GET /api/admin/queues/:name/jobs': ADMIN,
    'GET /api/admin/queues/:name/jobs/:id': ADMIN,
    'POST /api/admin/queues/:name/jobs/:id/retry': ADMIN,
    'POST /api/admin/queues/:name/pause': ADMIN,
    'POST /api/admin/queues/:name/resume': ADMIN,
    'GET /api/audit-log': ADMIN,
    'POST /api/admin/queues/:name/retry-failed': ADMIN,
    // Message templates are configuration.
    'GET /api/templates': ADMIN,
    'PUT /api/templates/:kind/:language': ADMIN,
    'DELETE /api/templates/:kind/:language': ADMIN,
    'POST /api/templates/preview': ADMIN,
    'POST /webhooks/twilio/sms': 'public',
    'POST /webhooks/twilio/status': 'public',
    'GET /api/dev/clock': ['admin'],
    'POST /api/dev/clock/advance': ['admin'],
    'GET /health': 'public',
    // For orchestrators and Prometheus: no user token (/metrics takes METRICS_TOKEN when it is set).
    'GET /health/live': 'public',
    'GET /health/ready': 'public',
    'GET /metrics': 'public',
  };

  it('matches the role table of PRODUCT.md, route by route, with nothing left open', () => {
    const table = routeTable();
    expect(Object.fromEntries([...table].map(([route, roles]) => [route, roles === 'public' || roles === 'none' ? roles : [...roles]]))).toEqual(expected);
  });
});
