import { readFile } from 'node:fs/promises';

/**
 * A process's memory as the kernel counts it, in bytes. VmRSS (what `ps` and the target mean) is
 * RssAnon + RssFile + RssShmem; for PostgreSQL backends most of RssShmem is shared_buffers pages
 * the backend touched, which every backend counts again, so the private part and PSS (shared pages
 * divided among their users) say more about their share.
 */
export interface ProcessMemory {
  pid: number;
  rss: number;
  /** the peak RSS since the process started (VmHWM) */
  peakRss: number;
  anon: number;
  file: number;
  shmem: number;
  /** from smaps_rollup (null where it cannot be read) */
  pss: number | null;
  private: number | null;
}

const kB = (text: string, key: string): number | null => {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : null;
};

/** The memory of one process; null when it is gone or /proc is not there. */
export async function processMemory(pid: number): Promise<ProcessMemory | null> {
  let status: string;
  try {
    status = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  let rollup = '';
  try {
    // Needs the right to trace the process (same user, or root); without it only status counts.
    rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    /* not readable here */
  }
  const privateClean = kB(rollup, 'Private_Clean');
  const privateDirty = kB(rollup, 'Private_Dirty');
  return {
    pid,
    rss: kB(status, 'VmRSS') ?? 0,
    peakRss: kB(status, 'VmHWM') ?? 0,
    anon: kB(status, 'RssAnon') ?? 0,
    file: kB(status, 'RssFile') ?? 0,
    shmem: kB(status, 'RssShmem') ?? 0,
    pss: kB(rollup, 'Pss'),
    private: privateClean === null || privateDirty === null ? null : privateClean + privateDirty,
  };
}

/** The sum over several processes (a group such as the bench database's PostgreSQL backends). */
export interface GroupMemory {
  processes: number;
  rss: number;
  pss: number | null;
  private: number | null;
}

export async function groupMemory(pids: number[]): Promise<GroupMemory> {
  const each = (await Promise.all(pids.map(processMemory))).filter((m): m is ProcessMemory => m !== null);
  const sum = (f: (m: ProcessMemory) => number | null) => (each.some((m) => f(m) === null) ? null : each.reduce((a, m) => a + f(m)!, 0));
  return { processes: each.length, rss: sum((m) => m.rss) ?? 0, pss: sum((m) => m.pss), private: sum((m) => m.private) };
}
