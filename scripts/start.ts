import { loadConfigOrExit } from '@aftercare/config';
import { DEMO } from '@aftercare/contracts';
import { SERVICE_NAMES, SystemProcesses } from './lib/system.js';

/**
 * `npm start`: the whole system on this machine, each service its own process, with the demo
 * clinic and users on an empty database (outside production). Ctrl-C stops everything.
 *
 * Its output is for a person at a terminal: the services log as text, each line after the
 * service's name, unless LOG_FORMAT is set. With LOG_FORMAT=json the services' JSON lines go to
 * stdout as they are (each names its service) and this script's own words to stderr, so stdout
 * can be piped to jq or a log collector.
 */
const config = loadConfigOrExit('start'); // fail here, once, with a clear message
const logFormat = process.env.LOG_FORMAT?.trim() ? config.logFormat : 'text';
const colours = { scheduling: 36, followup: 35, notifications: 33, gateway: 32 } as const;
const system = new SystemProcesses({
  env: { ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined)), LOG_FORMAT: logFormat },
  output: (service, line) => process.stdout.write(logFormat === 'json' ? `${line}\n` : `\x1b[${colours[service]}m${service.padEnd(13)}\x1b[0m ${line}\n`),
});
const say = (text: string) => (logFormat === 'json' ? process.stderr : process.stdout).write(text);

let stopping = false;
const stop = async (code = 0) => {
  if (stopping) return;
  stopping = true;
  say('\nStopping Aftercare…\n');
  await system.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

say(`Starting ${SERVICE_NAMES.join(', ')} (database ${new URL(config.databaseUrl).pathname.slice(1)}, Redis ${config.redis.host}:${config.redis.port})…\n`);
try {
  await system.start();
} catch (error) {
  process.stderr.write(`\n${(error as Error).message}\nIs PostgreSQL running and DATABASE_URL right? Is Redis running at REDIS_URL?\n`);
  await stop(1);
}
say(
  [
    '',
    `Aftercare is running: ${config.publicUrl} (API under /api, health at /health)`,
    config.seedDemo ? `Demo users (password "${DEMO.password}"): ${DEMO.users.map((u) => `${u.email} (${u.role})`).join(', ')}` : '',
    config.twilio ? 'SMS: Twilio' : 'SMS: log provider (no TWILIO_* set): messages are recorded, see GET /api/messages',
    config.smtp ? 'Email: SMTP' : 'Email: log provider (no SMTP_URL set)',
    config.virtualClock ? 'Virtual clock on: POST /api/dev/clock/advance { "by": "P1D" } as admin' : '',
    'Ctrl-C to stop.',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n') + '\n',
);
