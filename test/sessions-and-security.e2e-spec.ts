import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { DEMO } from '@aftercare/contracts';
import { waitFor } from '@aftercare/testing';
import { Api, type ApiResponse } from './support/api.js';
import { TestSystem } from './support/test-system.js';

/**
 * Sessions and HTTP hardening (issue 8, point 3), over HTTP with all four services: access
 * tokens that expire, refresh tokens that rotate and end the session when one comes back,
 * sign-out and disabling that take effect on the next request, password rules, the failed-login
 * lockout, rate limits, helmet's headers and the CORS allow-list.
 */

jest.setTimeout(60_000);

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string; role: string };
}

const ADMIN = 'admin@aftercare.local';
const FRONT_DESK = 'frontdesk@aftercare.local';
const CLINICIAN = 'clinician@aftercare.local';

/** One request, as a browser or a script would send it; `ip` is the client a trusted proxy reports. */
function call<T = any>(
  system: TestSystem,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; ip?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  return new Api(system.baseUrl).request<T>(method, path, options.body, {
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...(options.ip ? { 'x-forwarded-for': options.ip } : {}),
    ...options.headers,
  });
}

async function login(system: TestSystem, email: string, password: string = DEMO.password, ip?: string): Promise<Tokens> {
  const response = await call<Tokens>(system, 'POST', '/api/auth/login', { body: { email, password }, ip });
  if (response.status !== 200) throw new Error(`login as ${email}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Tokens on success, the error body ({ message, ... }) otherwise. */
const refresh = (system: TestSystem, refreshToken: string, ip?: string) => call<Tokens & { message?: string }>(system, 'POST', '/api/auth/refresh', { body: { refreshToken }, ip });
const me = (system: TestSystem, token: string) => call(system, 'GET', '/api/me', { token });

describe('sessions', () => {
  // Access tokens of 3 seconds, so that expiry can be watched.
  const system = new TestSystem({ JWT_EXPIRES_IN_SECONDS: '3' });
  let db: pg.Pool;

  /** The admin, signed in afresh for each step (their tokens last 3 seconds here). */
  const asAdmin = async (method: string, path: string, body?: unknown) => call(system, method, path, { token: (await login(system, ADMIN)).accessToken, body });

  async function newUser(email: string, password = 'a phrase of my own'): Promise<string> {
    const created = await asAdmin('POST', '/api/users', { email, name: 'Session Tester', role: 'front_desk', password });
    if (created.status !== 201) throw new Error(`create user: ${created.status} ${JSON.stringify(created.body)}`);
    return created.body.id as string;
  }

  beforeAll(async () => {
    await system.start();
    db = new pg.Pool({ connectionString: system.database.url, max: 2 });
  }, 120_000);

  afterAll(async () => {
    await db?.end();
    await system.stop();
  }, 60_000);

  it('signs in with a short-lived access token and an opaque refresh token, of which only a hash is stored', async () => {
    const tokens = await login(system, FRONT_DESK);
    expect(tokens).toMatchObject({ expiresIn: 3, user: { email: FRONT_DESK, role: 'front_desk' } });
    expect(tokens.refreshToken).toMatch(/^[\w-]{43}$/);
    expect((await me(system, tokens.accessToken)).status).toBe(200);
    const { rows } = await db.query<{ token_hash: string }>('SELECT token_hash FROM gateway.refresh_tokens');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.token_hash)).not.toContain(tokens.refreshToken);
  });

  it('refuses an access token once its lifetime is over, and a refresh gives a new pair that works', async () => {
    const tokens = await login(system, FRONT_DESK);
    expect((await me(system, tokens.accessToken)).status).toBe(200);
    const expired = await waitFor(
      async () => {
        const answer = await me(system, tokens.accessToken);
        return answer.status === 401 ? answer : null;
      },
      { timeoutMs: 10_000, intervalMs: 250, what: 'the access token to expire' },
    );
    expect(expired.body.message).toMatch(/expired/);

    const renewed = await refresh(system, tokens.refreshToken);
    expect(renewed.status).toBe(200);
    expect(renewed.body).toMatchObject({ expiresIn: 3, user: { email: FRONT_DESK } });
    expect(renewed.body.refreshToken).not.toBe(tokens.refreshToken);
    expect((await me(system, renewed.body.accessToken)).status).toBe(200);
  });

  it('a refresh token works once; when a used one comes back, the whole session ends, and only that session', async () => {
    const stolen = await login(system, FRONT_DESK);
    const otherDesk = await login(system, FRONT_DESK);
    const first = await refresh(system, stolen.refreshToken);
    expect(first.status).toBe(200);

    const replay = await refresh(system, stolen.refreshToken);
    expect(replay.status).toBe(401);
    expect(replay.body.message).toMatch(/used already/);
    // The pair that the first refresh handed out stops working too, at once.
    expect((await me(system, first.body.accessToken)).status).toBe(401);
    expect((await refresh(system, first.body.refreshToken)).status).toBe(401);
    // The same user's other session is not touched.
    expect((await me(system, otherDesk.accessToken)).status).toBe(200);
    expect((await refresh(system, otherDesk.refreshToken)).status).toBe(200);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM gateway.sessions WHERE revoked_reason = 'refresh_reuse'`);
    expect(rows[0].n).toBe(1);
  });

  it('sign-out ends the session at once: its access token is refused on the next request and its refresh token too', async () => {
    const tokens = await login(system, CLINICIAN);
    const elsewhere = await login(system, CLINICIAN);
    expect((await call(system, 'POST', '/api/auth/logout')).status).toBe(401);

    const out = await call(system, 'POST', '/api/auth/logout', { token: tokens.accessToken });
    expect(out.status).toBe(204);
    const refused = await me(system, tokens.accessToken);
    expect(refused.status).toBe(401);
    expect(refused.body.message).toMatch(/session has ended/);
    expect((await refresh(system, tokens.refreshToken)).status).toBe(401);
    expect((await me(system, elsewhere.accessToken)).status).toBe(200);
  });

  it('signs out with an access token that has expired already (the signature still names the session)', async () => {
    const tokens = await login(system, CLINICIAN);
    await waitFor(async () => (await me(system, tokens.accessToken)).status === 401, { timeoutMs: 10_000, intervalMs: 250, what: 'the access token to expire' });
    expect((await call(system, 'POST', '/api/auth/logout', { token: tokens.accessToken })).status).toBe(204);
    expect((await refresh(system, tokens.refreshToken)).status).toBe(401);
  });

  it('disabling a user ends their sessions at once; enabling them again does not bring the sessions back', async () => {
    const id = await newUser('soon.disabled@example.com');
    const tokens = await login(system, 'soon.disabled@example.com', 'a phrase of my own');
    expect((await me(system, tokens.accessToken)).status).toBe(200);

    expect((await asAdmin('PATCH', `/api/users/${id}`, { disabled: true })).status).toBe(200);
    expect((await me(system, tokens.accessToken)).status).toBe(401);
    expect((await refresh(system, tokens.refreshToken)).status).toBe(401);

    expect((await asAdmin('PATCH', `/api/users/${id}`, { disabled: false })).status).toBe(200);
    expect((await me(system, tokens.accessToken)).status).toBe(401);
    expect((await refresh(system, tokens.refreshToken)).status).toBe(401);
    const again = await login(system, 'soon.disabled@example.com', 'a phrase of my own');
    expect((await me(system, again.accessToken)).status).toBe(200);
  });

  it("a new password ends the user's sessions at once, and only the new password signs in", async () => {
    const id = await newUser('new.password@example.com');
    const tokens = await login(system, 'new.password@example.com', 'a phrase of my own');
    expect((await asAdmin('PATCH', `/api/users/${id}`, { password: 'another phrase entirely' })).status).toBe(200);
    expect((await me(system, tokens.accessToken)).status).toBe(401);
    expect((await refresh(system, tokens.refreshToken)).status).toBe(401);
    expect((await call(system, 'POST', '/api/auth/login', { body: { email: 'new.password@example.com', password: 'a phrase of my own' } })).status).toBe(401);
    await login(system, 'new.password@example.com', 'another phrase entirely');
  });

  it('refuses weak passwords with 400 naming password and the rule, on creating a user and on changing a password', async () => {
    const user = { email: 'rules.tester@example.com', name: 'Rules Tester', role: 'front_desk' };
    const cases: [password: string, rule: RegExp][] = [
      ['short', /at least 12 characters/],
      ['Rules.Tester@Example.com', /e-mail address/],
      ['Password1234', /most common passwords/],
      ['aftercare-demo', /most common passwords/],
    ];
    for (const [password, rule] of cases) {
      const answer = await asAdmin('POST', '/api/users', { ...user, password });
      expect({ password, status: answer.status, field: answer.body.field }).toEqual({ password, status: 400, field: 'password' });
      expect(answer.body.message).toMatch(rule);
    }
    const id = await newUser(user.email);
    for (const [password, rule] of cases) {
      const answer = await asAdmin('PATCH', `/api/users/${id}`, { password });
      expect({ password, status: answer.status, field: answer.body.field }).toEqual({ password, status: 400, field: 'password' });
      expect(answer.body.message).toMatch(rule);
    }
    // Refused changes leave the password as it was.
    await login(system, user.email, 'a phrase of my own');
  });
});

describe('rate limits, the failed-login lockout and HTTP headers', () => {
  const PORTAL = 'https://portal.clinic.example';
  const system = new TestSystem({
    // The test is the proxy: X-Forwarded-For says which client each request comes from.
    TRUST_PROXY: 'loopback',
    RATE_LIMIT_PER_MINUTE: '120',
    SIGN_IN_RATE_LIMIT_PER_MINUTE: '10',
    LOGIN_MAX_FAILURES: '5',
    LOGIN_MAX_FAILURES_PER_IP: '8',
    LOGIN_LOCKOUT_MINUTES: '15',
    CORS_ORIGINS: PORTAL,
  });

  beforeAll(async () => {
    await system.start();
  }, 120_000);

  afterAll(async () => {
    await system.stop();
  }, 60_000);

  it("sends helmet's headers, with a Content-Security-Policy that allows only this origin, on the web app and the API", async () => {
    const page = await fetch(`${system.baseUrl}/due`);
    const api = await call(system, 'GET', '/api/me');
    for (const headers of [page.headers, api.headers]) {
      const csp = headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(headers.get('x-powered-by')).toBeNull();
    }
  });

  it('lets an origin on the CORS allow-list call the API and gives any other origin no CORS headers', async () => {
    const preflight = (origin: string) =>
      fetch(`${system.baseUrl}/api/patients`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const allowed = await preflight(PORTAL);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    const refused = await preflight('https://elsewhere.example');
    // No Access-Control-Allow-Origin: the browser refuses to send the request.
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const tokens = await login(system, ADMIN, DEMO.password, '203.0.113.5');
    const read = (origin: string) => call(system, 'GET', '/api/me', { token: tokens.accessToken, headers: { origin } });
    expect((await read(PORTAL)).headers.get('access-control-allow-origin')).toBe(PORTAL);
    expect((await read('https://elsewhere.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a signed-in user over the limit with 429 and Retry-After, and counts each user on their own', async () => {
    const [busy, other] = [await login(system, CLINICIAN, DEMO.password, '203.0.113.10'), await login(system, ADMIN, DEMO.password, '203.0.113.10')];
    for (let i = 1; i <= 120; i++) {
      const answer = await me(system, busy.accessToken);
      if (answer.status !== 200) throw new Error(`request ${i} of 120: ${answer.status}`);
    }
    const over = await me(system, busy.accessToken);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    expect(over.body.message).toMatch(/^Too many requests; try again in \d+ seconds?$/);
    const retryAfter = Number(over.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Same address, another user: their own budget.
    expect((await me(system, other.accessToken)).status).toBe(200);
  });

  it('counts requests before sign-in per client address', async () => {
    for (let i = 1; i <= 120; i++) {
      const answer = await call(system, 'POST', '/api/auth/logout', { ip: '203.0.113.11' });
      if (answer.status !== 401) throw new Error(`request ${i} of 120: ${answer.status}`);
    }
    const over = await call(system, 'POST', '/api/auth/logout', { ip: '203.0.113.11' });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await call(system, 'POST', '/api/auth/logout', { ip: '203.0.113.12' })).status).toBe(401);
  });

  it('limits login and refresh more strictly, each on its own, per client address', async () => {
    for (let i = 1; i <= 10; i++) {
      const answer = await call(system, 'POST', '/api/auth/login', { body: { email: ADMIN }, ip: '203.0.113.20' });
      if (answer.status !== 400) throw new Error(`login ${i} of 10: ${answer.status}`);
    }
    const over = await call(system, 'POST', '/api/auth/login', { body: { email: ADMIN, password: DEMO.password }, ip: '203.0.113.20' });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await refresh(system, 'not-a-refresh-token', '203.0.113.20')).status).toBe(401);
    expect((await call(system, 'POST', '/api/auth/login', { body: { email: ADMIN, password: DEMO.password }, ip: '203.0.113.21' })).status).toBe(200);
  });

  it("does not throttle Twilio's signed webhooks: a burst of delivery reports all get through", async () => {
    const url = `${system.baseUrl}/webhooks/twilio/status`;
    const answers = [];
    for (let i = 0; i < 130; i++) {
      const form = { MessageSid: `SM${String(i).padStart(32, '0')}`, MessageStatus: 'delivered', AccountSid: system.twilio.accountSid };
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': system.twilio.signatureFor(url, form) },
        body: new URLSearchParams(form).toString(),
      });
      answers.push(response.status);
    }
    expect(answers.filter((status) => status === 429)).toEqual([]);
    expect(new Set(answers)).toEqual(new Set([204]));
  });

  it('locks an e-mail address out after 5 failed logins, the right password too, and answers the same whether or not the address is anyone', async () => {
    const attempt = (email: string, password: string, ip: string) => call(system, 'POST', '/api/auth/login', { body: { email, password }, ip });
    const lockedAnswers = [];
    for (const [email, ip] of [
      [FRONT_DESK, '203.0.113.30'],
      ['nobody.here@aftercare.local', '203.0.113.31'],
    ] as const) {
      for (let i = 1; i <= 5; i++) expect((await attempt(email, 'not the password at all', ip)).status).toBe(401);
      const locked = await attempt(email, DEMO.password, ip);
      expect(locked.status).toBe(429);
      const retryAfter = Number(locked.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(14 * 60);
      expect(retryAfter).toBeLessThanOrEqual(15 * 60);
      lockedAnswers.push(locked.body);
    }
    expect(lockedAnswers[0]).toEqual({ statusCode: 429, error: 'Too Many Requests', code: 'AUTH.SIGN_IN_LOCKED', message: 'Too many failed sign-ins; try again in 15 minutes' });
    expect(lockedAnswers[1]).toEqual(lockedAnswers[0]);
    // From another address the locked e-mail stays locked; another account from the first address is not.
    expect((await attempt(FRONT_DESK, DEMO.password, '203.0.113.32')).status).toBe(429);
    expect((await attempt(CLINICIAN, DEMO.password, '203.0.113.30')).status).toBe(200);
  });

  it('locks a client address out after 8 failed logins over any e-mail addresses', async () => {
    const ip = '203.0.113.40';
    for (let i = 1; i <= 8; i++) {
      expect((await call(system, 'POST', '/api/auth/login', { body: { email: `guess${i}@aftercare.local`, password: 'not the password at all' }, ip })).status).toBe(401);
    }
    const locked = await call(system, 'POST', '/api/auth/login', { body: { email: ADMIN, password: DEMO.password }, ip });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('AUTH.SIGN_IN_LOCKED');
    expect((await call(system, 'POST', '/api/auth/login', { body: { email: ADMIN, password: DEMO.password }, ip: '203.0.113.41' })).status).toBe(200);
  });
});
