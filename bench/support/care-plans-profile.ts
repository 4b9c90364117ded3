import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Where a service's CPU went, from the `.cpuprofile` node writes with `--cpu-prof` (set through
 * SERVICE_NODE_ARGS, which scripts/lib/system.ts passes to the services): self time by function
 * and by area (a package of node_modules, the app's own code, the garbage collector…), counted
 * only for the samples taken inside the given windows, so that start-up and seeding do not blur
 * the measured load.
 *
 * The windows are in the monotonic clock in µs (`process.hrtime.bigint() / 1000n` in the
 * bench): V8 stamps its samples with the same clock (CLOCK_MONOTONIC on Linux), so the two
 * processes' times compare directly.
 */

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  label: string;
  ms: number;
  /** % of the sampled time in the windows (idle included) */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** sampled ms inside the windows, and how much of it the thread was idle */
  sampledMs: number;
  idleMs: number;
  /** false: no sample fell inside the windows, the whole profile is counted */
  windowed: boolean;
  functions: ProfileShare[];
  areas: ProfileShare[];
}

/** The profile node writes for process `pid` in `dir` (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile), if any. */
export async function profileOf(dir: string, pid: number): Promise<string | null> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const mine = names.filter((n) => n.endsWith('.cpuprofile') && n.split('.')[3] === String(pid)).sort();
  return mine.length ? path.join(dir, mine.at(-1)!) : null;
}

/** What a function belongs to: a package, the app's code, node's own, or V8's pseudo-frames. */
function areaOf(frame: CpuProfileNode['callFrame']): string {
  const { functionName: name, url } = frame;
  if (!url) {
    if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
    return '(native: V8 builtins, JSON, crypto…)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const app = /\/dist\/(apps\/[^/]+|libs\/[^/]+)\//.exec(url);
  if (app) return app[1]!;
  return url;
}

export async function summarizeProfile(file: string, windows: { fromUs: number; toUs: number }[], top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const inWindow = (t: number) => windows.some((w) => t >= w.fromUs && t <= w.toUs);
  const count = (filter: (t: number) => boolean) => {
    const self = new Map<number, number>();
    let t = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      // A sample's time is the time since the one before it.
      const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
      if (!filter(t)) continue;
      self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt / 1000);
    }
    return self;
  };
  let self = count(inWindow);
  const windowed = self.size > 0;
  if (!windowed) self = count(() => true);
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let sampledMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const frame = byId.get(id)!.callFrame;
    sampledMs += ms;
    const area = areaOf(frame);
    if (area === '(idle)') idleMs += ms;
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const where = frame.url ? ` ${frame.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/')}:${frame.lineNumber + 1}` : '';
    const label = `${frame.functionName || '(anonymous)'}${where}`;
    fns.set(label, (fns.get(label) ?? 0) + ms);
  }
  const shares = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([label, ms]) => ({ label, ms, pct: (100 * ms) / Math.max(1e-9, sampledMs) }));
  return { file, sampledMs, idleMs, windowed, functions: shares(fns, top), areas: shares(areas, top) };
}
