// A thin typed client for the console API: same-origin fetch with the session cookie, the
// CSRF token on every change, ETag/If-Match, and catalogue errors ({error: {code, message}})
// turned into ApiError. A 401 on a signed-in call tells the app the session is gone.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter = 0,
  ) {
    super(message);
  }
}

export const API = '/admin/api/v1';

let csrf = '';
let onUnauthorized: () => void = () => undefined;

/** Remembers the session's CSRF token (from login, setup or GET /me). */
export function setCsrf(token: string): void {
  csrf = token;
}

/** Called when a signed-in call answers 401: the session ended (expired, logged out elsewhere). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

/** Builds "?a=1&b=x" from the non-empty values (insertion order). */
export function queryString(q: Query = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

interface Options {
  query?: Query;
  body?: unknown;
  ifMatch?: string;
  /** Sign-in calls: a 401 is an answer, not a lost session. */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export interface Answer<T> {
  data: T;
  etag: string;
}

async function failure(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || 'Request failed';
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the status
  }
  const retry = Number(res.headers.get('Retry-After') ?? 0);
  return new ApiError(res.status, code, message, Number.isFinite(retry) ? retry : 0);
}

export async function request<T>(method: string, path: string, opts: Options = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  let res: Response;
  try {
    res = await fetch(API + path + queryString(opts.query), {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: opts.signal,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, 'network', 'The console server could not be reached.');
  }
  if (!res.ok) {
    const err = await failure(res);
    if (res.status === 401 && !opts.anonymous) onUnauthorized();
    throw err;
  }
  const etag = res.headers.get('ETag') ?? '';
  if (res.status === 204) return { data: undefined as T, etag };
  return { data: (await res.json()) as T, etag };
}

export const get = <T>(path: string, query?: Query, signal?: AbortSignal) =>
  request<T>('GET', path, { query, signal }).then((a) => a.data);
export const post = <T>(path: string, body?: unknown, opts: Options = {}) =>
  request<T>('POST', path, { ...opts, body }).then((a) => a.data);
export const patch = <T>(path: string, body: unknown, opts: Options = {}) =>
  request<T>('PATCH', path, { ...opts, body }).then((a) => a.data);
export const del = <T>(path: string, body?: unknown, opts: Options = {}) =>
  request<T>('DELETE', path, { ...opts, body }).then((a) => a.data);

/** Path segment escaping for ids taken from data or the URL. */
export const seg = (s: string) => encodeURIComponent(s);

/** A sentence for an error, for people. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'precondition_failed') return 'Someone changed this since you opened it. Reload to see their version, then make your change again.';
    if (err.code === 'login_backoff') return `Too many failed sign-ins. Try again in ${err.retryAfter || 60} seconds.`;
    if (err.code === 'forbidden') return 'Your role does not allow this.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
