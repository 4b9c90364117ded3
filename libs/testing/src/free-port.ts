import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Ports for the servers tests and benches start come from below the kernel's ephemeral range.
 * A port the OS picks with `listen(0)` comes from that range, and so does the local port of every
 * outgoing connection: between picking a port and the child process listening on it, a connection
 * from any process on the machine (a test's pool to PostgreSQL, say) may take it, and the service
 * then fails with EADDRINUSE. CI saw exactly that. Outgoing connections never use a port below the
 * range, so a port picked there stays free unless another picker takes it too; to make that
 * unlikely, each jest worker picks from a block of its own and moves on through it rather than
 * handing the same port out again.
 */
const LOWEST = 10_000;

/** The first port of the kernel's ephemeral range (Linux's default when it cannot be read). */
export function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && Number.isInteger(low)) return low;
  } catch {
    // not Linux: fall through to the default
  }
  return 32_768;
}

/** The block of ports this process picks from: one of eight by jest worker, so workers never share one. */
export function portBlock(workerId = process.env['JEST_WORKER_ID'], high = ephemeralLow()): { from: number; to: number } | undefined {
  if (high - LOWEST < 800) return undefined;
  const blocks = 8;
  const size = Math.floor((high - LOWEST) / blocks);
  const index = (Math.max(1, Number(workerId) || 1) - 1) % blocks;
  return { from: LOWEST + index * size, to: LOWEST + (index + 1) * size };
}

let cursor: number | undefined;

/** A server listening on `port` of 127.0.0.1, or undefined if that port is taken. */
function listen(port: number): Promise<net.Server | undefined> {
  const server = net.createServer();
  server.unref();
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(undefined);
      else reject(error);
    };
    server.once('error', onError);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

/** Listens on the next free port of this process's block, or on one the OS picks if there is no block. */
async function hold(): Promise<net.Server> {
  const block = portBlock();
  if (block) {
    const size = block.to - block.from;
    // Start at a random place: two processes with the same worker id (a test run and a bench, say) rarely meet.
    cursor ??= Math.floor(Math.random() * size);
    for (let tried = 0; tried < size; tried++) {
      const port = block.from + (cursor++ % size);
      const server = await listen(port);
      if (server) return server;
    }
  }
  const server = await listen(0);
  if (!server) throw new Error('no free TCP port on 127.0.0.1');
  return server;
}

/** A TCP port that was free on 127.0.0.1 a moment ago, outside the range outgoing connections use. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `count` different TCP ports free on 127.0.0.1 a moment ago: each is held until all are picked,
 * so no two of them are the same.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await hold());
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
