import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

/** Milliseconds per clock tick of /proc (USER_HZ, 100 on Linux nearly always). */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

/** CPU time (user + system) a process has used so far, in ms; null when it is gone or /proc is not there. */
export async function processCpuMs(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (2nd field) may hold spaces: the fields after it start behind the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return null;
  }
}

/** Busy and total CPU time of the whole machine (all cores) so far, in ms, and the part spent in interrupts. */
export async function machineCpuMs(): Promise<{ busy: number; total: number; irq: number } | null> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = v[3]! + (v[4] ?? 0);
    return { busy: (total - idle) * TICK_MS, total: total * TICK_MS, irq: ((v[5] ?? 0) + (v[6] ?? 0)) * TICK_MS };
  } catch {
    return null;
  }
}

/** Every process's CPU ms so far. */
async function allProcesses(): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const ms = await processCpuMs(Number(e));
        if (ms !== null) out.set(Number(e), ms);
      }),
  );
  return out;
}

/** A short name of a process for the "others" list: PostgreSQL's titles, node's script, else the command. */
async function labelOf(pid: number): Promise<string> {
  try {
    const cmd = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    if (cmd.length === 0) return `[${(await readFile(`/proc/${pid}/comm`, 'utf8')).trim()}]`;
    const title = cmd.join(' ');
    const backend = /^postgres: [^:]+: \S+ (\S+) /.exec(title);
    if (backend) return `postgres backend of ${backend[1]}`;
    if (title.startsWith('postgres: ')) return title.replace(/^postgres: [^:]+: /, 'postgres: ').replace(/\s+$/, '').slice(0, 60);
    const base = (p: string) => p.split('/').slice(-2).join('/');
    if (/(^|\/)node$/.test(cmd[0]!)) return `node ${base(cmd.find((a, i) => i > 0 && !a.startsWith('-')) ?? '')}`.trim();
    return base(cmd[0]!).slice(0, 60);
  } catch {
    return `pid ${pid}`;
  }
}

/** PostgreSQL's own server processes (not client backends): WAL writer, checkpointer, background writer, autovacuum. */
export async function postgresServerPids(): Promise<number[]> {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  for (const e of entries.filter((x) => /^\d+$/.test(x))) {
    try {
      const title = (await readFile(`/proc/${e}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (/^postgres: [^:]+: (checkpointer|background writer|walwriter|autovacuum|logical replication launcher|archiver|stats|walsender)/.test(title)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Named groups of processes (a service, PostgreSQL's backends of the bench database, Redis, the bench itself). */
export type PidGroups = Record<string, number[]>;

export interface CpuUsage {
  wallMs: number;
  /** CPU ms used by each group during the measurement (processes that ended meanwhile are missed). */
  groups: Record<string, number>;
  /** the busiest other processes of the machine meanwhile (others' work, or the system's), by name */
  others: { label: string; ms: number }[];
  /** CPU ms used by the whole machine (every process, others' work included), and what it had: cores × wall. */
  machineBusyMs: number;
  machineCapacityMs: number;
  /** of the machine's busy time: hardware and software interrupts (loopback networking shows here) */
  machineIrqMs: number;
}

/**
 * Measures the CPU time each group of processes uses between start() and stop(), from /proc,
 * and which other processes of the machine were busy meanwhile. The pid lists are asked for at
 * both ends (PostgreSQL backends come and go with the pools): a pid seen only at the end counts
 * in full, as it was born during the measurement.
 */
export class CpuMeter {
  private before = new Map<number, number>();
  private machineBefore: { busy: number; total: number; irq: number } | null = null;
  private t0 = 0;

  constructor(private readonly groups: () => Promise<PidGroups>) {}

  async start(): Promise<void> {
    this.before = await allProcesses();
    this.machineBefore = await machineCpuMs();
    this.t0 = performance.now();
  }

  async stop(): Promise<CpuUsage> {
    const wallMs = performance.now() - this.t0;
    const machineAfter = await machineCpuMs();
    const after = await allProcesses();
    const named = await this.groups();
    const grouped = new Set<number>();
    const groups: Record<string, number> = {};
    for (const [name, pids] of Object.entries(named)) {
      let sum = 0;
      for (const pid of new Set(pids)) {
        if (grouped.has(pid)) continue;
        grouped.add(pid);
        const ms = after.get(pid);
        if (ms !== undefined) sum += ms - (this.before.get(pid) ?? 0);
      }
      groups[name] = sum;
    }
    const byLabel = new Map<string, number>();
    for (const [pid, ms] of after) {
      if (grouped.has(pid)) continue;
      const delta = ms - (this.before.get(pid) ?? (this.t0 > 0 ? 0 : ms));
      if (delta <= 0) continue;
      const label = await labelOf(pid);
      byLabel.set(label, (byLabel.get(label) ?? 0) + delta);
    }
    const others = [...byLabel.entries()].map(([label, ms]) => ({ label, ms })).sort((a, b) => b.ms - a.ms).slice(0, 6);
    const ok = machineAfter && this.machineBefore;
    return {
      wallMs,
      groups,
      others,
      machineBusyMs: ok ? machineAfter.busy - this.machineBefore!.busy : NaN,
      machineCapacityMs: ok ? machineAfter.total - this.machineBefore!.total : wallMs * os.availableParallelism(),
      machineIrqMs: ok ? machineAfter.irq - this.machineBefore!.irq : NaN,
    };
  }
}

/** "name 12 ms, other 3 ms" of the busiest other processes, for logs and notes. */
export function describeOthers(usage: CpuUsage, per = 1, unit = 'ms'): string {
  return usage.others.filter((o) => o.ms / per >= 0.005).map((o) => `${o.label} ${(o.ms / per).toFixed(2)} ${unit}`).join(', ') || 'none';
}
