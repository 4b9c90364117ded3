import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { PrivateRedis } from './redis-server.js';
import { PrivatePostgres } from './postgres-server.js';
import { createTestDatabase } from './test-database.js';
import { ephemeralLow, freePort, freePorts, portBlock } from './free-port.js';
import { TcpProxy } from './tcp-proxy.js';
import { metricValue, parsePrometheusText } from './prometheus-text.js';
import { waitFor } from './wait.js';

function connect(url: string): Redis {
  // disconnectTimeout: a disconnect() after a refused connect() arms a timer nothing clears early (2 s by default).
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, lazyConnect: true, disconnectTimeout: 50 });
  client.on('error', () => undefined);
  return client;
}

describe('PrivateRedis', () => {
  const redis = new PrivateRedis();

  beforeAll(() => redis.start());
  afterAll(() => redis.stop());

  it('serves on a loopback port, keeps it across restarts and persists nothing', async () => {
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const client = connect(redis.url);
    await client.connect();
    await client.set('k', 'v');
    expect(await client.get('k')).toBe('v');
    client.disconnect();

    const port = redis.port;
    await redis.restart();
    expect(redis.port).toBe(port);

    const again = connect(redis.url);
    await again.connect();
    expect(await again.get('k')).toBeNull();
    again.disconnect();
  });

  it('can be killed and started again', async () => {
    await redis.kill();
    expect(redis.running).toBe(false);
    const client = connect(redis.url);
    await expect(client.connect()).rejects.toThrow();
    client.disconnect();

    await redis.start();
    const again = connect(redis.url);
    await again.connect();
    expect(await again.ping()).toBe('PONG');
    again.disconnect();
  });

  it('flushes everything', async () => {
    const client = connect(redis.url);
    await client.connect();
    await client.set('a', '1');
    await redis.flushAll();
    expect(await client.dbsize()).toBe(0);
    client.disconnect();
  });
});

describe('PrivatePostgres', () => {
  const server = new PrivatePostgres();

  beforeAll(() => server.start(), 60_000);
  afterAll(() => server.remove(), 60_000);

  async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  it('serves test databases on a loopback port, refuses while stopped, and keeps its data across a crash and a restart on the same port', async () => {
    expect(server.adminUrl).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
    const db = await createTestDatabase('aftercare_test_private', server.adminUrl);
    expect(new URL(db.url).port).toBe(String(server.port));
    await query(db.url, 'CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)');
    const [{ fsync }] = await query<{ fsync: string }>(db.url, 'SHOW fsync');
    expect(fsync).toBe('off');

    const port = server.port;
    await server.kill();
    expect(await server.ready()).toBe(false);
    await expect(query(db.url, 'SELECT 1')).rejects.toThrow();

    await server.start();
    expect(server.port).toBe(port);
    expect(await query(db.url, 'SELECT n FROM kept')).toEqual([{ n: 7 }]);

    await server.restart();
    expect(await server.ready()).toBe(true);
    await db.drop();
  }, 60_000);
});

describe('createTestDatabase', () => {
  /** Whether `name` exists, asked on the server (and as the user) of a test database URL. */
  async function exists(serverUrl: string, name: string): Promise<boolean> {
    const url = new URL(serverUrl);
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString() });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      return rowCount === 1;
    } finally {
      await admin.end();
    }
  }

  it('creates a database with a test name and drops it even with connections open', async () => {
    const db = await createTestDatabase();
    expect(db.name).toMatch(/^aftercare_test_[0-9a-f]{12}$/);

    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined); // terminated by drop()
    await client.connect();
    const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
    expect(rows[0].name).toBe(db.name);
    expect(await exists(db.url, db.name)).toBe(true);

    await db.drop();
    expect(await exists(db.url, db.name)).toBe(false);
    await client.end().catch(() => undefined);
  });

  it('refuses a name without "test"', async () => {
    await expect(createTestDatabase('aftercare')).rejects.toThrow(/must contain "test"/);
  });
});

describe('waitFor and freePort', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(async () => (++n >= 3 ? n : undefined), { what: 'three probes', intervalMs: 1 })).resolves.toBe(3);
  });

  it('names what it waited for at the deadline', async () => {
    await expect(waitFor(async () => false, { what: 'the impossible', timeoutMs: 50 })).rejects.toThrow(/the impossible/);
  });

  it('finds a free port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });

  it('finds several different free ports at once', async () => {
    for (let round = 0; round < 20; round++) {
      const ports = await freePorts(4);
      expect(new Set(ports).size).toBe(4);
    }
  });

  it('picks ports below the range outgoing connections take theirs from, in a block of its own per jest worker', async () => {
    const low = ephemeralLow();
    const ports = await freePorts(10);
    const block = portBlock()!;
    for (const port of ports) {
      expect(port).toBeLessThan(low);
      expect(port).toBeGreaterThanOrEqual(block.from);
      expect(port).toBeLessThan(block.to);
    }
    // Eight workers, eight blocks that do not overlap.
    const blocks = Array.from({ length: 8 }, (_, i) => portBlock(String(i + 1), 32_768)!);
    for (let i = 1; i < blocks.length; i++) expect(blocks[i]!.from).toBeGreaterThanOrEqual(blocks[i - 1]!.to);
    expect(blocks[7]!.to).toBeLessThanOrEqual(32_768);
  });

  it('does not hand a port out again soon after, though it is free again', async () => {
    const seen = new Set<number>();
    for (let round = 0; round < 50; round++) seen.add(await freePort());
    expect(seen.size).toBe(50);
  });

  it('skips a port something already listens on', async () => {
    const [first] = await freePorts(1);
    // Hold the ports right after the one handed out: the next picks must step over them.
    const held = await Promise.all([1, 2, 3].map((offset) => listenOn(first! + offset)));
    try {
      const next = await freePorts(3);
      for (const port of next) expect(held.map((h) => h.port)).not.toContain(port);
    } finally {
      await Promise.all(held.map((h) => h.close()));
    }
  });
});

describe('TcpProxy', () => {
  it('passes a PostgreSQL connection through, refuses while stopped and serves again on the same port', async () => {
    const db = await createTestDatabase();
    const target = new URL(db.url);
    const proxy = new TcpProxy(Number(target.port || 5432), target.hostname);
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const query = async () => {
      const client = new pg.Client({ connectionString: viaProxy.toString(), connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    try {
      expect(await query()).toBe(1);
      const port = proxy.port;
      await proxy.stop();
      await expect(query()).rejects.toThrow();
      await proxy.start();
      expect(proxy.port).toBe(port);
      expect(await query()).toBe(1);
    } finally {
      await proxy.stop();
      await db.drop();
    }
  });
});

describe('reading a /metrics answer', () => {
  const text = [
    '# HELP aftercare_queue_jobs Jobs',
    '# TYPE aftercare_queue_jobs gauge',
    'aftercare_queue_jobs{queue="{care-plan-steps}",state="delayed"} 7',
    'aftercare_queue_jobs{queue="{care-plan-steps}",state="failed"} 1',
    'aftercare_job_lateness_seconds_count{queue="{outbound-messages}"} 3',
    'process_cpu_seconds_total 0.25',
    '',
  ].join('\n');

  it('reads names, labels (braces and all) and values', () => {
    expect(parsePrometheusText(text)).toEqual([
      { name: 'aftercare_queue_jobs', labels: { queue: '{care-plan-steps}', state: 'delayed' }, value: 7 },
      { name: 'aftercare_queue_jobs', labels: { queue: '{care-plan-steps}', state: 'failed' }, value: 1 },
      { name: 'aftercare_job_lateness_seconds_count', labels: { queue: '{outbound-messages}' }, value: 3 },
      { name: 'process_cpu_seconds_total', labels: {}, value: 0.25 },
    ]);
  });

  it('sums the samples that match the labels given, 0 for none', () => {
    expect(metricValue(text, 'aftercare_queue_jobs')).toBe(8);
    expect(metricValue(text, 'aftercare_queue_jobs', { state: 'delayed' })).toBe(7);
    expect(metricValue(text, 'aftercare_queue_jobs', { state: 'active' })).toBe(0);
    expect(metricValue(text, 'process_cpu_seconds_total')).toBe(0.25);
  });
});

async function listenOn(port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
