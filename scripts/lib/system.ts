import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The four services, each its own process (as in production and in docker-compose.yml). */
export const SERVICE_NAMES = ['scheduling', 'followup', 'notifications', 'gateway'] as const;
export type ServiceProcessName = (typeof SERVICE_NAMES)[number];

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, whether this file runs from dist/scripts/lib or scripts/lib (jest). */
export const ROOT = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');

/**
 * Node flags every service runs with (here, in docker/Dockerfile and docker-compose.yml).
 * `--max-semi-space-size=8`: V8's young generation, which start-up grows to its limit (16 MB per
 * semi-space in Node 20) and then keeps resident, capped at 8 MB. At 4 MB each service idled
 * about 25 MB smaller than at 16, but the notifications service spent a fifth of its time in the
 * scavenger while sending (a --cpu-prof of a dispatch run: 19 % GC); at 8 MB it sent 2,290–2,552
 * messages/s against 1,890 (medians of 3-run dispatch benches on one host) and the largest idle
 * service still held 119 MB (bench/RESULTS.md, "footprint" and "dispatch-history").
 */
export const SERVICE_NODE_FLAGS = ['--enable-source-maps', '--max-semi-space-size=8'];

/** Extra Node flags from an environment variable, e.g. SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
export function nodeArgsFrom(variable: string): string[] {
  return (process.env[variable] ?? '').split(/\s+/).filter(Boolean);
}

export function entryOf(service: ServiceProcessName): string {
  return path.join(ROOT, 'dist', 'apps', service, 'src', 'main.js');
}

export interface SystemOptions {
  env: Record<string, string>;
  /** Where each service's output goes; defaults to this process's stdout with a prefix. */
  output?: (service: ServiceProcessName, line: string) => void;
  services?: readonly ServiceProcessName[];
}

/**
 * Starts and stops the services as child processes. Tests use it to stop or kill one service in
 * the middle of a flow and start it again.
 */
export class SystemProcesses {
  private readonly children = new Map<ServiceProcessName, ChildProcess>();

  constructor(private readonly options: SystemOptions) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.options.env.PORT ?? '3000'}`;
  }

  async start(): Promise<void> {
    for (const service of this.options.services ?? SERVICE_NAMES) this.startService(service);
    await this.waitHealthy();
  }

  startService(service: ServiceProcessName): void {
    if (this.children.has(service)) throw new Error(`${service} is already running`);
    // SERVICE_NODE_ARGS: extra Node flags for the services only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them.
    const extra = nodeArgsFrom('SERVICE_NODE_ARGS');
    const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...extra, entryOf(service)], {
      cwd: ROOT,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const write = this.options.output ?? ((name, line) => process.stdout.write(`[${name}] ${line}\n`));
    const pipe = (stream: NodeJS.ReadableStream | null) => {
      let buffer = '';
      stream?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) write(service, line);
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    child.on('exit', () => {
      if (this.children.get(service) === child) this.children.delete(service);
    });
    this.children.set(service, child);
  }

  /** A clean stop (SIGTERM: shutdown hooks run); resolves with the exit code (null: ended by a signal, or not running). */
  stopService(service: ServiceProcessName): Promise<number | null> {
    return this.signal(service, 'SIGTERM');
  }

  /** An abrupt stop, as a crash or an OOM kill. */
  async killService(service: ServiceProcessName): Promise<void> {
    await this.signal(service, 'SIGKILL');
  }

  /**
   * Freezes the service (SIGSTOP) until `thaw`: up, connected and listening, but answering
   * nothing - as a process stuck in a long pause would. Returns whether it was running.
   */
  freezeService(service: ServiceProcessName): boolean {
    return this.children.get(service)?.kill('SIGSTOP') ?? false;
  }

  /** Lets a frozen service go on (SIGCONT). */
  thawService(service: ServiceProcessName): boolean {
    return this.children.get(service)?.kill('SIGCONT') ?? false;
  }

  isRunning(service: ServiceProcessName): boolean {
    return this.children.has(service);
  }

  private async signal(service: ServiceProcessName, signal: NodeJS.Signals): Promise<number | null> {
    const child = this.children.get(service);
    if (!child) return null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    this.children.delete(service);
    return code;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.children.keys()].map((s) => this.stopService(s)));
  }

  /** Waits until GET /health says the database, Redis and every service answer. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      for (const [name, child] of this.children) {
        if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} during start-up`);
      }
      try {
        const response = await fetch(`${this.baseUrl}/health`);
        if (response.ok) return;
        last = `${response.status} ${await response.text()}`;
      } catch (error) {
        last = (error as Error).message;
      }
      await sleep(200);
    }
    throw new Error(`The system did not become healthy within ${timeoutMs} ms (last answer: ${last})`);
  }
}
