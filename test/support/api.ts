import { DEMO } from '@aftercare/contracts';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small HTTP client for the API, as a clinic's front end would use it. */
export class Api {
  constructor(
    readonly baseUrl: string,
    private token: string | null = null,
    /** Give up on a request after this long (it rejects with a TimeoutError); null: wait as long as it takes. */
    private readonly timeoutMs: number | null = null,
  ) {}

  /** The same user, on another gateway (a replica) and / or with every request bounded in time. */
  with({ baseUrl = this.baseUrl, timeoutMs = this.timeoutMs }: { baseUrl?: string; timeoutMs?: number | null }): Api {
    return new Api(baseUrl, this.token, timeoutMs);
  }

  static async login(baseUrl: string, email: string, password: string = DEMO.password): Promise<Api> {
    const api = new Api(baseUrl);
    const response = await api.post<{ accessToken: string }>('/api/auth/login', { email, password });
    if (response.status !== 200) throw new Error(`login as ${email} failed: ${response.status} ${JSON.stringify(response.body)}`);
    api.token = response.body.accessToken;
    return api;
  }

  get<T = any>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body, headers);
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: this.timeoutMs === null ? undefined : AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON (TwiML, say) */
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** Moves the shared virtual clock; every job due by then runs through BullMQ first. */
  async advance(by: string): Promise<{ now: string }> {
    const response = await this.post<{ now: string }>('/api/dev/clock/advance', { by });
    if (response.status !== 200 && response.status !== 201) throw new Error(`advance ${by}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async now(): Promise<Date> {
    const response = await this.get<{ now: string }>('/api/dev/clock');
    return new Date(response.body.now);
  }
}

/** An ISO 8601 duration for a number of milliseconds (whole seconds). */
export function isoDuration(ms: number): string {
  return `PT${Math.max(1, Math.ceil(ms / 1000))}S`;
}

/** The three demo users of PRODUCT.md, logged in. */
export async function loginDemoUsers(baseUrl: string): Promise<[frontDesk: Api, clinician: Api, admin: Api]> {
  return Promise.all([Api.login(baseUrl, 'frontdesk@aftercare.local'), Api.login(baseUrl, 'clinician@aftercare.local'), Api.login(baseUrl, 'admin@aftercare.local')]);
}
