import { useCallback, useEffect, useRef, useState } from 'react';
import { api, describeError, isAborted, type Query } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  /** Loads again (after an action, or on "Try again"). */
  reload: () => void;
}

/** GETs `path` (with `query`) now and whenever they change; null skips the request. */
export function useApi<T>(path: string | null, query?: Query): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState<boolean>(path !== null);
  const [tick, setTick] = useState(0);
  const key = path === null ? null : JSON.stringify([path, query ?? null]);
  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    api<T>(path, { query, signal: controller.signal })
      .then((result) => {
        setData(result);
        setError(null);
      })
      .catch((e: unknown) => {
        if (isAborted(e)) return;
        setError(describeError(e));
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // key stands for path and query
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

/** Runs an action (a POST, say), keeping its pending state and error for the form that started it. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef(action);
  ref.current = action;
  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setPending(true);
    setError(null);
    try {
      return await ref.current(...args);
    } catch (e) {
      setError(describeError(e));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  return { run, pending, error, setError };
}

/**
 * A form's state kept in sessionStorage under `key` while it is being typed: when a session
 * expires mid-form, the user signs in again and finds what they typed. Cleared with `clear()`
 * once the form is sent.
 */
export function useDraft<T extends object>(key: string, initial: T): [T, (patch: Partial<T>) => void, () => void] {
  const storageKey = `aftercare.draft.${key}`;
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = sessionStorage.getItem(storageKey);
      return raw ? { ...initial, ...(JSON.parse(raw) as Partial<T>) } : initial;
    } catch {
      return initial;
    }
  });
  const update = useCallback(
    (patch: Partial<T>) =>
      setValue((current) => {
        const next = { ...current, ...patch };
        sessionStorage.setItem(storageKey, JSON.stringify(next));
        return next;
      }),
    [storageKey],
  );
  const clear = useCallback(() => {
    sessionStorage.removeItem(storageKey);
    setValue(initial);
    // initial is a fresh literal on each render; the key identifies the draft
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [storageKey]);
  return [value, update, clear];
}
