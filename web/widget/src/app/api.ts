// The chatproxy HTTP API as the iframe uses it (docs/api.md). All calls are same-origin;
// after session creation every call carries the bearer token, since third-party cookies may
// be blocked in the iframe.

import type { components } from '../api/schema.gen';

// Request and answer shapes come from docs/openapi.yaml (generated: `make api-types`).
type Schemas = components['schemas'];

export type SessionInfo = Schemas['Session'];
export type HistoryMessage = Schemas['HistoryMessage'];
export type History = Schemas['History'];
export type CreateSessionRequest = Schemas['CreateSessionRequest'];
export type PublicSiteConfig = Schemas['PublicSiteConfig'];
export type ErrorBody = Schemas['ErrorBody'];
/** The widget always names its message, so a resend joins the first reply. */
export type ChatRequest = Schemas['ChatMessageRequest'] & { client_message_id: string };

/** A non-2xx answer. `network` is set instead when no answer arrived at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter = 0,
  ) {
    super(message);
  }

  /** True for failures worth retrying unchanged later: no answer, 5xx, 429. */
  get transient(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429 || this.status === 408;
  }
}

function retryAfterSeconds(value: string | null): number {
  if (!value) return 0;
  const secs = Number(value);
  if (Number.isFinite(secs)) return Math.max(0, Math.ceil(secs));
  const when = Date.parse(value);
  return Number.isFinite(when) ? Math.max(0, Math.ceil((when - Date.now()) / 1000)) : 0;
}

async function failure(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText;
  try {
    const body = (await res.json()) as Partial<ErrorBody>;
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // not JSON: keep the status
  }
  return new ApiError(res.status, code, message, retryAfterSeconds(res.headers.get('Retry-After')));
}

export class Api {
  private token = '';

  constructor(private readonly base = '') {}

  setToken(token: string): void {
    this.token = token;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json', ...extra };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    return h;
  }

  /** fetch that turns "no answer at all" into ApiError(0, 'network'). */
  private async call(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.base + path, { credentials: 'same-origin', cache: 'no-store', ...init });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw new ApiError(0, 'network', 'network error');
    }
    if (!res.ok) throw await failure(res);
    return res;
  }

  async config(siteId: string): Promise<PublicSiteConfig> {
    const res = await this.call(`/api/v1/sites/${encodeURIComponent(siteId)}/config`, { headers: this.headers() });
    return (await res.json()) as PublicSiteConfig;
  }

  async createSession(body: CreateSessionRequest & { site_id: string }): Promise<SessionInfo> {
    const res = await this.call('/api/v1/session/create', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as SessionInfo;
  }

  /** Sends analytics events (feedback, suggestion clicks); never throws, never blocks the chat. */
  events(siteId: string, events: Array<{ name: string; props?: Record<string, unknown> }>): void {
    void fetch(this.base + '/api/v1/events', {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: true,
      headers: this.headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ site_id: siteId, events }),
    }).catch(() => undefined);
  }

  async history(sessionId: string, limit = 50): Promise<HistoryMessage[]> {
    const res = await this.call(`/api/v1/chat/history/${encodeURIComponent(sessionId)}?limit=${limit}`, {
      headers: this.headers(),
    });
    const body = (await res.json()) as Partial<History>;
    return Array.isArray(body.messages) ? body.messages : [];
  }

  /** The session's data as the JSON the server exports. */
  async exportMine(): Promise<Blob> {
    const res = await this.call('/api/v1/me/export', { headers: this.headers() });
    return res.blob();
  }

  /** Erases the session's conversation on the server. */
  async eraseMine(): Promise<void> {
    await this.call('/api/v1/me', { method: 'DELETE', headers: this.headers() });
  }

  /** Tells the server whether analytics events may be recorded for this session. */
  async setAnalytics(on: boolean): Promise<void> {
    await this.call('/api/v1/me/consent', {
      method: 'POST',
      headers: this.headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ analytics: on }),
    });
  }

  /** Sends a message; resolves with the open SSE response. */
  sendMessage(body: ChatRequest, signal: AbortSignal): Promise<Response> {
    return this.call('/api/v1/chat/message', {
      method: 'POST',
      headers: this.headers({
        'Content-Type': 'application/json',
        Accept: 'text/event-stream',
        'Idempotency-Key': body.client_message_id,
      }),
      body: JSON.stringify(body),
      signal,
    });
  }

  /** Resumes a reply after `lastEventId` (from its start when empty). */
  resume(messageId: string, lastEventId: string, signal: AbortSignal): Promise<Response> {
    const extra: Record<string, string> = { Accept: 'text/event-stream' };
    if (lastEventId) extra['Last-Event-ID'] = lastEventId;
    return this.call(`/api/v1/chat/stream?message_id=${encodeURIComponent(messageId)}`, {
      headers: this.headers(extra),
      signal,
    });
  }
}
