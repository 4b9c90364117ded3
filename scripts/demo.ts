import { DateTime } from 'luxon';
import pg from 'pg';
import { DEMO } from '@aftercare/contracts';
import { withDefaultUser } from '@aftercare/database';
import { freePort } from '../libs/testing/src/free-port.js';
import { PrivateRedis } from '../libs/testing/src/redis-server.js';
import { SystemProcesses } from './lib/system.js';

/**
 * `npm run demo`: one patient's whole journey, told as it happens. It starts its own copy of the
 * system (a fresh `aftercare_demo` database, a private Redis on a spare port, a spare HTTP
 * port), so it never touches a system you have running, then drives the API like the front
 * desk, the clinician and the patient would, moving the virtual clock forward between steps.
 */
const started = Date.now();
const zone = 'America/New_York';
const say = (line = '') => process.stdout.write(`${line}\n`);
const local = (iso: string) => DateTime.fromISO(iso, { zone }).toFormat("ccc d LLL HH:mm ZZZZ");
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

const baseDb = new URL(withDefaultUser(process.env.DATABASE_URL ?? 'postgres://localhost:5432/aftercare'));
const demoDb = new URL(baseDb.toString());
demoDb.pathname = '/aftercare_demo';
const adminDb = new URL(baseDb.toString());
adminDb.pathname = '/postgres';

say('Aftercare demo: one patient from booking to the repeat-injection decision.');
say(`Preparing a private system (database aftercare_demo, own Redis)… [${elapsed()}]`);
const admin = new pg.Client({ connectionString: adminDb.toString() });
await admin.connect();
await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'aftercare_demo' AND pid <> pg_backend_pid()`);
await admin.query('DROP DATABASE IF EXISTS aftercare_demo');
await admin.end();

const redis = new PrivateRedis();
await redis.start();
const port = await freePort();
const system = new SystemProcesses({
  env: {
    ...(Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)) as Record<string, string>),
    NODE_ENV: 'development',
    PORT: String(port),
    DATABASE_URL: demoDb.toString(),
    REDIS_URL: redis.url,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    // No operations ports: the default ones may belong to a system you have running.
    SCHEDULING_OPS_PORT: '0',
    FOLLOWUP_OPS_PORT: '0',
    NOTIFICATIONS_OPS_PORT: '0',
    SCHEDULING_RPC_PORT: '0',
    FOLLOWUP_RPC_PORT: '0',
    NOTIFICATIONS_RPC_PORT: '0',
    LOG_LEVEL: 'error',
    LOG_FORMAT: 'text', // the errors, if any, are for the person watching
    TWILIO_ACCOUNT_SID: '',
    TWILIO_AUTH_TOKEN: '',
    TWILIO_FROM: '',
    SMTP_URL: '',
    MAIL_FROM: '',
  },
  output: (service, line) => process.stderr.write(`  [${service}] ${line}\n`),
});

const base = `http://127.0.0.1:${port}`;
async function call(token: string | null, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return parsed;
}
const login = async (email: string) => (await call(null, 'POST', '/api/auth/login', { email, password: DEMO.password })).accessToken as string;

try {
  await system.start();
  say(`System up on ${base}. [${elapsed()}]`);
  const [desk, doc, boss] = await Promise.all([login('frontdesk@aftercare.local'), login('clinician@aftercare.local'), login('admin@aftercare.local')]);
  let shownMessages = new Set<string>();
  const advance = async (by: string, why: string) => {
    const result = await call(boss, 'POST', '/api/dev/clock/advance', { by });
    say(`\n⏩ Clock moved ${by} to ${local(result.now)} (${why}) [${elapsed()}]`);
  };
  const showMessages = async (patientId: string) => {
    const messages = (await call(doc, 'GET', `/api/messages?patientId=${patientId}`)) as any[];
    for (const m of messages) {
      if (shownMessages.has(m.id) || m.status === 'scheduled') continue;
      shownMessages.add(m.id);
      const when = local(m.sentAt ?? m.createdAt);
      const arrow = m.direction === 'inbound' ? '📨 patient →' : `📤 ${m.channel.padEnd(5)} →`;
      say(`   ${when}  ${arrow} [${m.kind}, ${m.status}] ${m.body.split('\n')[0].slice(0, 150)}`);
    }
  };

  say('\n1. The front desk registers Ana and books a BMAC injection with Dr. Chen.');
  const patient = await call(desk, 'POST', '/api/patients', {
    firstName: 'Ana', lastName: 'Rivera', phone: '+12125550147', email: 'ana@example.com', timezone: zone, preferredChannel: 'sms', smsConsent: true,
  });
  const now = DateTime.fromISO((await call(boss, 'GET', '/api/dev/clock')).now);
  const from = encodeURIComponent(now.plus({ days: 3 }).toISO()!);
  const to = encodeURIComponent(now.plus({ days: 10 }).toISO()!);
  const { slots } = await call(desk, 'GET', `/api/availability?clinicianId=${DEMO.clinicians[0].id}&procedureType=bmac_injection&from=${from}&to=${to}`);
  say(`   ${slots.length} free slots; taking the first: ${local(slots[0].startsAt)}`);
  const appointment = await call(desk, 'POST', '/api/appointments', { patientId: patient.id, clinicianId: DEMO.clinicians[0].id, procedureType: 'bmac_injection', startsAt: slots[0].startsAt });
  await new Promise((r) => setTimeout(r, 1500));
  await showMessages(patient.id);
  const reminders = ((await call(doc, 'GET', `/api/messages?patientId=${patient.id}`)) as any[]).filter((m) => m.kind === 'reminder');
  say(`   Reminders scheduled: ${reminders.map((m) => local(m.sendAt)).join(', ')}`);

  await advance(`PT${Math.ceil((Date.parse(appointment.endsAt) - Date.parse(now.toISO()!)) / 60000) + 10}M`, 'to the end of the procedure');
  await showMessages(patient.id);

  say('\n2. Dr. Chen marks the procedure completed; the care plan follows.');
  await call(doc, 'POST', `/api/appointments/${appointment.id}/complete`, { site: 'left knee' });
  let plans: any[] = [];
  for (let i = 0; i < 50 && plans.length === 0; i++) {
    plans = await call(doc, 'GET', `/api/care-plans?patientId=${patient.id}`);
    if (!plans.length) await new Promise((r) => setTimeout(r, 200));
  }
  for (const step of plans[0].steps) say(`   ${local(step.dueAt)}  ${step.kind.padEnd(18)} ${step.key}`);

  await advance('P1DT2H', 'aftercare instructions and the day-1 check-in');
  await showMessages(patient.id);
  say('\n3. Ana answers the check-in by SMS.');
  await fetch(`${base}/webhooks/twilio/sms`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ From: '+12125550147', To: '+15005550006', Body: '4', MessageSid: 'SMdemo1' }) });
  await advance('P2D', 'the day-3 check-in');
  await fetch(`${base}/webhooks/twilio/sms`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ From: '+12125550147', To: '+15005550006', Body: 'pain 8', MessageSid: 'SMdemo2' }) });
  await new Promise((r) => setTimeout(r, 1000));
  await showMessages(patient.id);
  await advance('P40D', 'the follow-up visit, later check-ins, the repeat-injection evaluation');
  await showMessages(patient.id);

  say("\n4. Dr. Chen's due list:");
  const items = (await call(doc, 'GET', `/api/follow-ups?clinicianId=${DEMO.clinicians[0].id}`)) as any[];
  for (const item of items) say(`   [${item.state}] ${item.kind.padEnd(18)} ${item.patient.name} — ${item.reason ?? ''} (pain trend ${item.painTrend.join('→') || 'none'})`);
  const evaluation = items.find((i) => i.kind === 'repeat_evaluation');
  if (evaluation) {
    await call(doc, 'POST', `/api/follow-ups/${evaluation.id}/decision`, { repeatInjection: true, note: 'partial response' });
    const tasks = (await call(doc, 'GET', '/api/follow-ups?kind=booking_task')) as any[];
    say(`\n5. Decision: repeat injection. The front desk now has ${tasks.length} booking task(s): ${tasks.map((t) => t.reason).join('; ')}`);
  }
  const visits = ((await call(desk, 'GET', `/api/appointments?patientId=${patient.id}`)) as any[]).map((a) => `${a.procedureType} ${local(a.startsAt)} (${a.status})`);
  say(`\nAppointments: ${visits.join('; ')}`);
  say(`\nDone in ${elapsed()}.`);
} finally {
  await system.stop();
  await redis.stop();
}
