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
  /** Renews the access token (POST /api/auth/refresh); good for one use, which hands out the next. */
  refreshToken?: string;
  /** When the access token runs out, by this browser's clock (ms since 1970). */
  expiresAt?: number;
  user: SessionUser;
}

/** What login and refresh answer. */
interface TokenAnswer {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
  user: SessionUser;
}

/** An access token this close to its end is renewed before it is sent. */
const RENEW_BEFORE_MS = 30_000;

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

function sessionOf(answer: TokenAnswer): Session {
  return { accessToken: answer.accessToken, refreshToken: answer.refreshToken, expiresAt: Date.now() + answer.expiresIn * 1000, user: answer.user };
}

let renewing: Promise<string | null> | null = null;

/**
 * Renews the access token with the refresh token; null when the session has ended (the app
 * returns to sign-in, keeping drafts). One renewal at a time however many requests want one: a
 * refresh token is good once, and the server ends a session whose used token comes back. The
 * renewed tokens are stored without telling listeners: the same person is still signed in.
 */
export function renewSession(): Promise<string | null> {
  renewing ??= (async (): Promise<string | null> => {
    const session = readSession();
    if (!session?.refreshToken) return null;
    let response: Response;
    try {
      response = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: JSON.stringify({ refreshToken: session.refreshToken }),
      });
    } catch {
      throw new ApiError(0, 'The server cannot be reached. Check the network connection and try again.');
    }
    if (response.ok) {
      const answer = (await response.json()) as TokenAnswer;
      if (readSession()?.refreshToken !== session.refreshToken) return readSession()?.accessToken ?? null; // signed out meanwhile
      sessionStorage.setItem(SESSION_KEY, JSON.stringify(sessionOf(answer)));
      return answer.accessToken;
    }
    if (response.status === 401 || response.status === 400) {
      if (readSession()?.refreshToken === session.refreshToken) writeSession(null, 'expired');
      return null;
    }
    // Too many requests, or the server is in trouble: the session may well be fine.
    throw new ApiError(response.status, 'The session could not be renewed just now. Try again in a moment.');
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

/** The access token to send: the stored one while it has time left, else a renewed one (null: signed out). */
export async function accessToken(): Promise<string | null> {
  const session = readSession();
  if (!session) return null;
  if (!session.expiresAt || !session.refreshToken || session.expiresAt - Date.now() > RENEW_BEFORE_MS) return session.accessToken;
  try {
    return await renewSession();
  } catch (error) {
    // Could not renew: the old token is worth a try while it lasts.
    if (session.expiresAt > Date.now()) return session.accessToken;
    throw error;
  }
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

/**
 * One call to the API. The access token is renewed shortly before it runs out, and once more when
 * the server refuses it (401); a 401 after that ends the session (the app returns to sign-in).
 */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const signedIn = readSession() !== null && !path.startsWith('/api/auth/');
  const send = async (token: string | null): Promise<Response> => {
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await fetch(withQuery(path, options.query), {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (isAborted(error)) throw error;
      throw new ApiError(0, 'The server cannot be reached. Check the network connection and try again.');
    }
  };
  const token = signedIn ? await accessToken() : null;
  if (signedIn && !token) throw new ApiError(401, 'Your session has ended. Sign in again to carry on.');
  let response = await send(token);
  if (response.status === 401 && token) {
    // Refused before the route ran (so sending again is safe): renewed once, then given up.
    const current = readSession()?.accessToken;
    const renewed = current && current !== token ? current : await renewSession().catch(() => null);
    if (renewed) response = await send(renewed);
    if (response.status === 401 && readSession()) writeSession(null, 'expired');
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
  const session = sessionOf(await api<TokenAnswer>('/api/auth/login', { method: 'POST', body: { email, password } }));
  writeSession(session);
  return session;
}

/**
 * Ends the session on the server (POST /api/auth/logout: its tokens stop working at once), then
 * here. Offline, it ends here all the same; the server's session then runs out on its own.
 */
export async function signOut(): Promise<void> {
  const session = readSession();
  if (session) {
    try {
      await fetch('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${session.accessToken}` } });
    } catch {
      /* the server cannot be reached: signed out here anyway */
    }
  }
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
