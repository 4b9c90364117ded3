/**
 * The bare BullMQ worker of the dispatch bench (issue 4), run as its own process (as the
 * notifications service is): the same Redis, the same key prefix, a queue of its own, the same
 * worker options as the notifications service's outbound processor (concurrency, lock duration,
 * stalled interval), and per job the same twilio library call — `client.messages.create` with
 * To, From, Body and StatusCallback — to the same Twilio-compatible server. Nothing else: no
 * database, no state machine, no suppression check. The job carries what the call needs.
 *
 * Started by bench/dispatch.bench.ts with fork(); configured by environment; says `ready` over
 * IPC once the worker runs, and closes on SIGTERM or when the parent goes away.
 */
import { Worker, type Job } from 'bullmq';
import twilio from 'twilio';

export interface BareJob {
  to: string;
  body: string;
  statusCallback: string;
}

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`bare worker: ${name} is not set`);
  return value;
};

const redisUrl = new URL(env('BARE_REDIS_URL'));
const client = twilio(env('BARE_TWILIO_ACCOUNT_SID'), env('BARE_TWILIO_AUTH_TOKEN'), { timeout: 10_000, autoRetry: false });
// As TwilioSmsSender does with TWILIO_API_URL: the Api domain's base URL, read at request time.
client.api.baseUrl = env('BARE_TWILIO_API_URL');
const from = env('BARE_TWILIO_FROM');
const workerOptions = JSON.parse(env('BARE_WORKER_OPTIONS')) as { concurrency: number; lockDuration?: number; stalledInterval?: number };

const worker = new Worker<BareJob>(
  env('BARE_QUEUE'),
  async (job: Job<BareJob>) => {
    const message = await client.messages.create({ to: job.data.to, from, body: job.data.body, statusCallback: job.data.statusCallback });
    return message.sid;
  },
  {
    prefix: env('BARE_PREFIX'),
    connection: { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) },
    ...workerOptions,
  },
);
worker.on('failed', (job, error) => process.stderr.write(`bare worker: job ${job?.id} failed: ${error.message}\n`));

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await worker.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => void close());
process.on('disconnect', () => void close());
await worker.waitUntilReady();
process.send?.({ ready: true, pid: process.pid });
