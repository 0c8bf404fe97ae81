// The visitor's chat session: restores it from storage, creates a new one when there is
// none (or the server says it is gone), keeps the visitor id across new conversations,
// remembers the one message whose reply was in flight, so a reload can rejoin it, and says how
// long a send must wait for the site's bot rule (no first message right after session creation).

import type { Api, SessionInfo } from './api';
import type { SessionStore, StoredSession } from './persist';

const SEND_DELAY_MARGIN_MS = 25;

function expired(rec: StoredSession): boolean {
  const at = Date.parse(rec.expiresAt);
  return !rec.token || !rec.sessionId || (Number.isFinite(at) && at <= Date.now() + 5000);
}

export class SessionKeeper {
  private current: StoredSession | null;
  private creating: Promise<StoredSession> | null = null;

  constructor(
    private readonly api: Api,
    private readonly store: SessionStore,
    private readonly siteId: string,
    private readonly pageUrl: () => string,
    private readonly now: () => number = Date.now,
    private readonly onVisitor: (visitorId: string) => void = () => undefined,
    /** Extra fields of a new session: consent on opt_in sites, the fingerprint where asked. */
    private readonly extras: () => { consent?: boolean; fingerprint?: string } = () => ({}),
  ) {
    this.current = store.load();
    if (this.current && !expired(this.current)) api.setToken(this.current.token);
    if (this.current?.visitorId) onVisitor(this.current.visitorId);
  }

  /** The stored session when it is still usable (may still be refused by the server). */
  usable(): StoredSession | null {
    return this.current && !expired(this.current) ? this.current : null;
  }

  /** Returns a usable session, creating one (once, even if asked concurrently) when needed. */
  ensure(): Promise<StoredSession> {
    const rec = this.usable();
    if (rec) return Promise.resolve(rec);
    if (!this.creating) {
      this.creating = this.create().finally(() => {
        this.creating = null;
      });
    }
    return this.creating;
  }

  /** Drops everything stored, the visitor id too (after an erasure or a withdrawn opt-in). */
  clear(): void {
    this.api.setToken('');
    this.save(null);
  }

  /** Drops the session (keeping the visitor) so the next ensure() makes a new one. */
  forget(): void {
    const visitorId = this.current?.visitorId ?? '';
    this.api.setToken('');
    this.save(visitorId ? { sessionId: '', token: '', expiresAt: '', visitorId, pending: null } : null);
  }

  /**
   * Milliseconds a message must wait before it is sent: the server refuses (429 too_fast) a
   * message sooner than `minDelayMs` after it created the session. The session was created
   * before its answer reached us, so counting from that answer is always late enough; the
   * margin covers the server rounding its clock.
   */
  sendDelay(minDelayMs: number): number {
    const created = this.current?.createdAt ?? 0;
    if (minDelayMs <= 0 || !created) return 0;
    return Math.max(0, created + minDelayMs + SEND_DELAY_MARGIN_MS - this.now());
  }

  setPending(pending: StoredSession['pending']): void {
    if (this.current) this.save({ ...this.current, pending });
  }

  private async create(): Promise<StoredSession> {
    const visitorId = this.current?.visitorId;
    const info: SessionInfo = await this.api.createSession({
      site_id: this.siteId,
      page_url: this.pageUrl() || undefined,
      visitor_id: visitorId || undefined,
      ...this.extras(),
    });
    const rec: StoredSession = {
      sessionId: info.session_id,
      token: info.token,
      expiresAt: info.expires_at,
      visitorId: info.visitor_id || visitorId || '',
      createdAt: this.now(),
      pending: null,
    };
    this.api.setToken(rec.token);
    this.save(rec);
    return rec;
  }

  private save(rec: StoredSession | null): void {
    if (rec?.visitorId && rec.visitorId !== this.current?.visitorId) this.onVisitor(rec.visitorId);
    this.current = rec;
    this.store.save(rec);
  }
}
