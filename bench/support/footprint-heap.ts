/**
 * Preloaded into each service by the footprint bench (`node --import …/footprint-heap.js`, through
 * SERVICE_NODE_ARGS) when FOOTPRINT_HEAP_DIR is set: once a second it writes the process's own
 * view of its memory — V8's heap spaces (used and resident), external memory — to
 * `<dir>/<pid>.json`, so that the bench can say what a service's RSS is made of. (A signal would
 * be cheaper, but Nest's shutdown hooks take SIGUSR2 and the inspector SIGUSR1.) It holds one
 * small timer that does not keep the process alive; without FOOTPRINT_HEAP_DIR it does nothing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';

export interface HeapSnapshot {
  at: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** per V8 heap space: bytes in use and bytes resident */
  spaces: Record<string, { used: number; physical: number }>;
}

const dir = process.env.FOOTPRINT_HEAP_DIR;
if (dir) {
  const file = path.join(dir, `${process.pid}.json`);
  setInterval(() => {
    const m = process.memoryUsage();
    const spaces: HeapSnapshot['spaces'] = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { used: s.space_used_size, physical: s.physical_space_size };
    const snapshot: HeapSnapshot = { at: Date.now(), rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, spaces };
    try {
      writeFileSync(file, JSON.stringify(snapshot));
    } catch {
      /* the bench's directory is gone: it has finished */
    }
  }, 1_000).unref();
}
