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
/** Requests started before their page asked (prefetch), each taken once by the first useApi of its key. */
const prefetched = new Map<string, { at: number; result: Promise<unknown> }>();
/** A prefetched answer older than this is asked for again. */
const PREFETCH_FRESH_MS = 10_000;
const keyOf = (path: string, query?: Query) => JSON.stringify([path, query ?? null]);

/**
 * Starts a GET that a page about to open will make with useApi (same path and query), so that it
 * runs side by side with what comes before the page (the session check, the page's code).
 */
export function prefetch<T = unknown>(path: string, query?: Query): Promise<T> {
  const key = keyOf(path, query);
  const known = prefetched.get(key);
  if (known && Date.now() - known.at < PREFETCH_FRESH_MS) return known.result as Promise<T>;
  const result = api<T>(path, { query });
  result.catch(() => undefined); // reported when a page takes it
  prefetched.set(key, { at: Date.now(), result });
  return result;
}

function takePrefetched<T>(key: string): Promise<T> | null {
  const entry = prefetched.get(key);
  prefetched.delete(key);
  return entry && Date.now() - entry.at < PREFETCH_FRESH_MS ? (entry.result as Promise<T>) : null;
}

export function useApi<T>(path: string | null, query?: Query): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState<boolean>(path !== null);
  const [tick, setTick] = useState(0);
  const key = path === null ? null : keyOf(path, query);
  useEffect(() => {
    if (path === null) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    (takePrefetched<T>(key!) ?? api<T>(path, { query, signal: controller.signal }))
      .then((result) => {
        if (controller.signal.aborted) return;
        setData(result);
        setError(null);
      })
      .catch((e: unknown) => {
        if (controller.signal.aborted || isAborted(e)) return;
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

/** A page of a list the API pages. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Pages<T> {
  /** The first page, as useApi loads it (reload, loading, error). */
  first: Loaded<Page<T>>;
  /** The first page's items and those of the pages "Show more" appended. */
  items: T[];
  /** There are more (null: all shown). */
  nextCursor: string | null;
  showMore: () => Promise<void>;
  loadingMore: boolean;
  moreError: string | null;
}

/**
 * A list the API pages (`{ items, nextCursor }`): its first page, and the pages after it that
 * `showMore` appends. Later pages belong to the first page they followed: a reload or a new query
 * drops them.
 */
export function usePages<T>(path: string | null, query: Query): Pages<T> {
  const first = useApi<Page<T>>(path, query);
  const [more, setMore] = useState<{ after: Page<T>; items: T[]; nextCursor: string | null } | null>(null);
  const [failed, setFailed] = useState<{ after: Page<T>; message: string } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const extra = more && more.after === first.data ? more : null;
  const items = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  // While another first page loads (a new filter, a reload), there is no "more" of the one shown.
  const nextCursor = first.loading ? null : extra ? extra.nextCursor : (first.data?.nextCursor ?? null);
  const moreError = failed && failed.after === first.data && !first.loading ? failed.message : null;

  async function showMore(): Promise<void> {
    if (!path || !nextCursor || !first.data) return;
    const base = first.data;
    setLoadingMore(true);
    setFailed(null);
    try {
      const page = await api<Page<T>>(path, { query: { ...query, cursor: nextCursor } });
      setMore((current) => ({
        after: base,
        items: [...(current && current.after === base ? current.items : []), ...page.items],
        nextCursor: page.nextCursor,
      }));
    } catch (error) {
      setFailed({ after: base, message: describeError(error) });
    } finally {
      setLoadingMore(false);
    }
  }

  return { first, items, nextCursor, showMore, loadingMore, moreError };
}
