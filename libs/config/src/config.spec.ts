import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

const sid = `AC${'0'.repeat(32)}`;

describe('loadConfig', () => {
  it('runs with nothing set outside production: defaults of PRODUCT.md, log providers, virtual clock', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      production: false,
      port: 3000,
      databaseUrl: 'postgres://localhost:5432/aftercare',
      redis: { host: '127.0.0.1', port: 6379, db: 0 },
      publicUrl: 'http://localhost:3000',
      twilio: null,
      smtp: null,
      virtualClock: true,
      seedDemo: true,
      quietHours: { start: '21:00', end: '08:00' },
      logLevel: 'log',
      logFormat: 'json',
    });
    expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('turns Twilio and SMTP on only with their settings', () => {
    const config = loadConfig({
      TWILIO_ACCOUNT_SID: sid,
      TWILIO_AUTH_TOKEN: 'token',
      TWILIO_FROM: '+15005550006',
      TWILIO_API_URL: 'http://127.0.0.1:4010',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      MAIL_FROM: 'Clinic <care@clinic.example>',
    });
    expect(config.twilio).toEqual({ accountSid: sid, authToken: 'token', from: '+15005550006', apiUrl: 'http://127.0.0.1:4010' });
    expect(config.smtp).toEqual({ url: 'smtp://127.0.0.1:2525', from: 'Clinic <care@clinic.example>' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/aftercare' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL'],
    [{ TWILIO_ACCOUNT_SID: sid, TWILIO_FROM: '+15005550006' }, 'TWILIO_AUTH_TOKEN'],
    [{ TWILIO_ACCOUNT_SID: 'nope', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '+15005550006' }, 'TWILIO_ACCOUNT_SID'],
    [{ TWILIO_ACCOUNT_SID: sid, TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '555-1234' }, 'TWILIO_FROM'],
    [{ SMTP_URL: 'smtp://localhost:25' }, 'MAIL_FROM'],
    [{ QUIET_HOURS: '9pm to 8am' }, 'QUIET_HOURS'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ LOG_FORMAT: 'pretty' }, 'LOG_FORMAT'],
    [{ SMS_CAP_PRESET: 'tcpa' }, 'SMS_CAP_PRESET'],
    [{ SMS_DAILY_CAP: '0' }, 'SMS_DAILY_CAP'],
    [{ SMS_DAILY_CAP: 'two' }, 'SMS_DAILY_CAP'],
    [{ SMS_WEEKLY_CAP: '1' }, 'SMS_DAILY_CAP'],
    [{ SMS_DAILY_CAP: '4', SMS_CAP_PRESET: 'fcc-healthcare' }, 'SMS_DAILY_CAP'],
    [{ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/aftercare' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) }, 'DATABASE_URL'],
    [{ JWT_EXPIRES_IN_SECONDS: '0' }, 'JWT_EXPIRES_IN_SECONDS'],
    [{ RATE_LIMIT_PER_MINUTE: 'lots' }, 'RATE_LIMIT_PER_MINUTE'],
    [{ LOGIN_MAX_FAILURES: '0' }, 'LOGIN_MAX_FAILURES'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://clinic.example/app' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'ftp://clinic.example' }, 'CORS_ORIGINS'],
    [{ TRUST_PROXY: 'the load balancer' }, 'TRUST_PROXY'],
  ])('refuses %j, naming %s', (env, variable) => {
    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message).toContain(variable);
  });

  it('never echoes a password from a URL in its message', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://user:secret@/' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'postgres://user:secret@/' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it("takes LOG_LEVEL=info for Nest's log (the name the JSON lines use)", () => {
    expect(loadConfig({ LOG_LEVEL: 'info' }).logLevel).toBe('log');
    expect(loadConfig({ LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
  });

  it('turns off the virtual clock and the demo data in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db:5432/aftercare', JWT_SECRET: 'x'.repeat(40), VIRTUAL_CLOCK: 'true' });
    expect(config.virtualClock).toBe(false);
    expect(config.seedDemo).toBe(false);
  });

  describe('sessions and HTTP hardening', () => {
    it('has 15-minute access tokens, sessions of 60 idle minutes and 12 hours at most, and no CORS or proxy by default', () => {
      expect(loadConfig({})).toMatchObject({
        jwt: { expiresInSeconds: 900 },
        sessions: { idleMinutes: 60, maxHours: 12 },
        rateLimit: { perMinute: 600, signInPerMinute: 20 },
        loginLockout: { maxFailures: 5, maxFailuresPerIp: 20, minutes: 15 },
        corsOrigins: [],
        trustProxy: false,
      });
    });

    it('reads an allow-list of origins and the proxies to trust', () => {
      expect(loadConfig({ CORS_ORIGINS: 'https://portal.clinic.example, http://localhost:5173/' }).corsOrigins).toEqual(['https://portal.clinic.example', 'http://localhost:5173']);
      expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
      expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
      expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    });
  });

  describe('the SMS frequency cap', () => {
    it('is 2 a day and 6 a week by default', () => {
      expect(loadConfig({}).smsCap).toEqual({ daily: 2, weekly: 6, preset: 'default' });
    });

    it('has the FCC healthcare-exemption figures as a preset: 1 a day, 3 a week', () => {
      expect(loadConfig({ SMS_CAP_PRESET: 'fcc-healthcare' }).smsCap).toEqual({ daily: 1, weekly: 3, preset: 'fcc-healthcare' });
      expect(loadConfig({ SMS_CAP_PRESET: 'FCC-Healthcare' }).smsCap.preset).toBe('fcc-healthcare');
    });

    it('takes explicit figures over the preset', () => {
      expect(loadConfig({ SMS_DAILY_CAP: '3', SMS_WEEKLY_CAP: '10' }).smsCap).toEqual({ daily: 3, weekly: 10, preset: 'default' });
      expect(loadConfig({ SMS_CAP_PRESET: 'fcc-healthcare', SMS_WEEKLY_CAP: '5' }).smsCap).toEqual({ daily: 1, weekly: 5, preset: 'fcc-healthcare' });
    });
  });

  describe('delivery', () => {
    it('asks Twilio for a missing delivery report after 6 hours, and keeps a 30003 flag 7 days, by default', () => {
      expect(loadConfig({})).toMatchObject({ deliveryReportCheckHours: 6, smsUnreachableFlagDays: 7 });
      expect(loadConfig({ DELIVERY_REPORT_CHECK_HOURS: '2', SMS_UNREACHABLE_FLAG_DAYS: '3' })).toMatchObject({ deliveryReportCheckHours: 2, smsUnreachableFlagDays: 3 });
    });

    it('works on 256 messages at once per notifications process by default, with at most 64 provider calls at a time; MESSAGE_SEND_CONCURRENCY and PROVIDER_CONCURRENCY change them', () => {
      expect(loadConfig({})).toMatchObject({ messageSendConcurrency: 256, providerConcurrency: 64 });
      expect(loadConfig({ MESSAGE_SEND_CONCURRENCY: '8', PROVIDER_CONCURRENCY: '4' })).toMatchObject({ messageSendConcurrency: 8, providerConcurrency: 4 });
    });

    it.each([
      ['DELIVERY_REPORT_CHECK_HOURS', '0'],
      ['DELIVERY_REPORT_CHECK_HOURS', 'soon'],
      ['SMS_UNREACHABLE_FLAG_DAYS', '0'],
      ['MESSAGE_SEND_CONCURRENCY', '0'],
      ['MESSAGE_SEND_CONCURRENCY', 'many'],
      ['PROVIDER_CONCURRENCY', '0'],
    ])('refuses %s=%s', (variable, value) => {
      expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(variable));
    });
  });
  describe('direct requests between services (the fallback while Redis is unreachable)', () => {
    it('listens on loopback, one port per microservice, and looks for each on loopback by default', () => {
      expect(loadConfig({}).rpc).toEqual({
        host: '127.0.0.1',
        ports: { scheduling: 9111, followup: 9112, notifications: 9113 },
        peers: { scheduling: [{ host: '127.0.0.1', port: 9111 }], followup: [{ host: '127.0.0.1', port: 9112 }], notifications: [{ host: '127.0.0.1', port: 9113 }] },
        secret: null,
      });
    });

    it('takes each replica of a service from its PEERS list, none turning the fallback off, and a port of 0 turning the listener off', () => {
      const config = loadConfig({ RPC_HOST: '0.0.0.0', SCHEDULING_RPC_PEERS: 'scheduling-1:9111, 10.0.0.7:9311,[::1]:9111', FOLLOWUP_RPC_PORT: '0', NOTIFICATIONS_RPC_PEERS: 'none' });
      expect(config.rpc.host).toBe('0.0.0.0');
      expect(config.rpc.peers.scheduling).toEqual([{ host: 'scheduling-1', port: 9111 }, { host: '10.0.0.7', port: 9311 }, { host: '::1', port: 9111 }]);
      expect(config.rpc.ports.followup).toBe(0);
      expect(config.rpc.peers.followup).toEqual([]);
      expect(config.rpc.peers.notifications).toEqual([]);
    });

    it.each([
      [{ SCHEDULING_RPC_PEERS: 'scheduling' }, 'SCHEDULING_RPC_PEERS'],
      [{ FOLLOWUP_RPC_PEERS: 'followup:0' }, 'FOLLOWUP_RPC_PEERS'],
      [{ NOTIFICATIONS_RPC_PEERS: 'a:9113,b:99999' }, 'NOTIFICATIONS_RPC_PEERS'],
      [{ SCHEDULING_RPC_PORT: '9101' }, 'SCHEDULING_RPC_PORT'],
      [{ FOLLOWUP_RPC_PORT: '3000' }, 'FOLLOWUP_RPC_PORT'],
      [{ RPC_SECRET: 'short' }, 'RPC_SECRET'],
    ])('refuses %j, naming %s', (env, variable) => {
      expect(() => loadConfig(env)).toThrow(new RegExp(variable));
    });

    it('in production, listens beyond loopback only with RPC_SECRET', () => {
      const production = { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/aftercare', JWT_SECRET: 'x'.repeat(32) };
      expect(() => loadConfig({ ...production, RPC_HOST: '0.0.0.0' })).toThrow(/RPC_SECRET.*RPC_HOST \(0\.0\.0\.0\)/);
      expect(loadConfig({ ...production, RPC_HOST: '0.0.0.0', RPC_SECRET: 'a-long-random-rpc-secret' }).rpc.secret).toBe('a-long-random-rpc-secret');
      expect(loadConfig({ ...production }).rpc.secret).toBeNull(); // loopback
      expect(loadConfig({ ...production, RPC_HOST: '0.0.0.0', SCHEDULING_RPC_PORT: '0', FOLLOWUP_RPC_PORT: '0', NOTIFICATIONS_RPC_PORT: '0' }).rpc.secret).toBeNull(); // nothing listens
    });
  });

  describe('the clinic that runs the deployment (the queue dashboard is its admins\')', () => {
    it('is OPERATOR_CLINIC_ID when set, as a lower-case UUID; unset, the gateway decides (the demo clinic outside production)', () => {
      expect(loadConfig({}).operatorClinicId).toBeNull();
      expect(loadConfig({ OPERATOR_CLINIC_ID: '7D3F0C1E-8A4B-4C2D-9E5F-0A1B2C3D4E5F' }).operatorClinicId).toBe('7d3f0c1e-8a4b-4c2d-9e5f-0a1b2c3d4e5f');
    });

    it('refuses a value that is not a clinic id, naming the variable', () => {
      expect(() => loadConfig({ OPERATOR_CLINIC_ID: 'main-clinic' })).toThrow(/OPERATOR_CLINIC_ID.*UUID/);
    });
  });

  describe('operations', () => {
    it('gives each microservice its own operations port, no metrics token, and a 5-minute queue lag limit by default', () => {
      expect(loadConfig({}).ops).toEqual({ ports: { scheduling: 9101, followup: 9102, notifications: 9103 }, metricsToken: null, readyMaxQueueLagMs: 300_000 });
    });

    it('takes each port from its own variable, 0 turning a listener off, and METRICS_TOKEN and READY_MAX_QUEUE_LAG_MS', () => {
      const config = loadConfig({ SCHEDULING_OPS_PORT: '0', FOLLOWUP_OPS_PORT: '9202', NOTIFICATIONS_OPS_PORT: '0', METRICS_TOKEN: 'a-long-random-scrape-token', READY_MAX_QUEUE_LAG_MS: '60000' });
      expect(config.ops).toEqual({ ports: { scheduling: 0, followup: 9202, notifications: 0 }, metricsToken: 'a-long-random-scrape-token', readyMaxQueueLagMs: 60_000 });
    });

    it.each([
      [{ FOLLOWUP_OPS_PORT: 'ninety' }, 'FOLLOWUP_OPS_PORT'],
      [{ NOTIFICATIONS_OPS_PORT: '70000' }, 'NOTIFICATIONS_OPS_PORT'],
      [{ FOLLOWUP_OPS_PORT: '9101' }, 'FOLLOWUP_OPS_PORT'],
      [{ SCHEDULING_OPS_PORT: '3000' }, 'SCHEDULING_OPS_PORT'],
      [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
      [{ READY_MAX_QUEUE_LAG_MS: '10' }, 'READY_MAX_QUEUE_LAG_MS'],
    ])('refuses %j, naming %s', (env, variable) => {
      expect(() => loadConfig(env)).toThrow(new RegExp(variable));
    });
  });
});
