import type { CDPSession, Page } from 'playwright-core';

/**
 * A CPU profile of the page's main thread over one load (Chrome DevTools Protocol, sampled every
 * 100 µs), summed by function: where the first load's time goes between the answers and the rows
 * (BENCH_WEB_PROFILE=1 in web.bench.ts). Positions are of the built files (their source maps sit
 * beside them in dist/web/assets).
 */
export interface ProfileLine {
  selfMs: number;
  functionName: string;
  /** file:line:column, 1-based, of the built asset */
  at: string;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export async function startProfile(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  return cdp;
}

export async function stopProfile(cdp: CDPSession, top = 25): Promise<{ lines: ProfileLine[]; totalMs: number }> {
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
  await cdp.detach().catch(() => undefined);
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, ProfileLine>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalMs = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i]!);
    const ms = (deltas[i + 1] ?? deltas[i] ?? 0) / 1000;
    if (!node) continue;
    const f = node.callFrame;
    if (f.functionName === '(idle)') continue;
    totalMs += ms;
    const file = f.url ? f.url.replace(/^.*\//, '') : '';
    const at = file ? `${file}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '';
    const key = `${f.functionName}@${at}`;
    const line = self.get(key) ?? { selfMs: 0, functionName: f.functionName || '(anonymous)', at };
    line.selfMs += ms;
    self.set(key, line);
  }
  return { lines: [...self.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top), totalMs };
}
