import { useCallback, useEffect, useState } from 'react';
import { api, describeError, isAborted } from '../api';

export interface Polled<T> {
  data: T | undefined;
  error: string | null;
  /** When the last answer came (browser time; only for "updated … ago"). */
  updatedAt: Date | null;
  /** Asks again now (after an action), then goes on every `everyMs`. */
  refresh: () => void;
}

/**
 * GETs `path` now and then `everyMs` after each answer: the next request waits for the last one,
 * so a slow server never has requests piling up. A hidden tab skips its rounds; a failed round
 * keeps the last data and says why. A null path asks nothing (yet).
 */
export function usePolling<T>(path: string | null, everyMs: number): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, 'refresh'>>({ data: undefined, error: null, updatedAt: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const controller = new AbortController();
    async function round() {
      if (path === null) return;
      if (document.hidden) {
        timer = setTimeout(round, everyMs);
        return;
      }
      try {
        const data = await api<T>(path, { signal: controller.signal });
        if (!stopped) setState({ data, error: null, updatedAt: new Date() });
      } catch (e) {
        if (stopped || isAborted(e)) return;
        setState((s) => ({ ...s, error: describeError(e) }));
      }
      if (!stopped) timer = setTimeout(round, everyMs);
    }
    void round();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
    };
  }, [path, everyMs, tick]);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, refresh };
}
