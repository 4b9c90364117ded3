/**
 * The web app's only way to the server: JSON over the gateway's own API, with the signed-in
 * user's token. Errors come back as ApiError with the server's message (which names the field),
 * so every page can show what went wrong and what to do.
 */

export type Role = 'front_desk' | 'clinician' | 'admin';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  clinicianId: string | null;
}

export interface Session {
  accessToken: string;
  user: SessionUser;
}

const SESSION_KEY = 'aftercare.session';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The server's `error` text, e.g. "Bad Request". */
    readonly error?: string,
    /** The input field the server names (e.g. "phone"), so a form can show the message there. */
    readonly field?: string,
    /** The server's stable code, e.g. APPOINTMENT.SLOT_TAKEN. */
    readonly code?: string,
  ) {
    super(message);
  }
  /** True when the server could not be reached at all. */
  get offline(): boolean {
    return this.status === 0;
  }
}

type Listener = (session: Session | null, reason?: 'expired' | 'signed-out') => void;
const listeners = new Set<Listener>();

export function readSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function writeSession(session: Session | null, reason?: 'expired' | 'signed-out'): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
  for (const listener of listeners) listener(session, reason);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A request given up on purpose (its page moved on): nothing to report. */
export function isAborted(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** One call to the API. A 401 on a signed-in session ends it (the app returns to sign-in). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const session = readSession();
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (session) headers.Authorization = `Bearer ${session.accessToken}`;
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if (isAborted(error)) throw error;
    throw new ApiError(0, 'The server cannot be reached. Check the network connection and try again.');
  }
  if (response.status === 401 && session && !path.endsWith('/auth/login')) {
    writeSession(null, 'expired');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let payload: unknown = undefined;
  try {
    payload = text ? JSON.parse(text) : undefined;
  } catch {
    payload = text;
  }
  if (!response.ok) {
    const body = (payload ?? {}) as { message?: unknown; error?: string; field?: string; code?: string };
    const message = Array.isArray(body.message)
      ? body.message.join('; ')
      : typeof body.message === 'string'
        ? body.message
        : `The server answered ${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, body.error, typeof body.field === 'string' ? body.field : undefined, typeof body.code === 'string' ? body.code : undefined);
  }
  return payload as T;
}

/** A list answer is an array, or a page `{ items }` (PRODUCT.md, "List endpoints"). */
export function itemsOf<T>(answer: T[] | { items: T[] } | undefined): T[] {
  if (!answer) return [];
  return Array.isArray(answer) ? answer : (answer.items ?? []);
}

export async function signIn(email: string, password: string): Promise<Session> {
  const session = await api<Session>('/api/auth/login', { method: 'POST', body: { email, password } });
  writeSession(session);
  return session;
}

export function signOut(): void {
  writeSession(null, 'signed-out');
}

/** A message for any error, for showing to the user. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `${error.message || 'Your role may not do this.'} Ask an admin if you need access.`;
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return 'Something went wrong. Try again.';
}
