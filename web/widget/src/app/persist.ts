// Where the visitor's session token lives, best first (web/widget/README.md, "Sessions and storage"):
//  1. the iframe's own localStorage (partitioned per top-level site in current browsers);
//  2. if that throws or does not keep a value, the host page's first-party localStorage, through
//     the loader (postMessage "chatproxy:store", handed back as "chatproxy:restore" on load);
//  3. memory only, and the widget says "this chat will not be saved".
// Nothing is written anywhere before the visitor opens the chat (web/widget/README.md, "Embedding"):
// probing happens in init().

import type { FrameMessage, HostMessage } from '../shared/protocol';
import { parseHostMessage } from '../shared/protocol';

export type Persistence = 'local' | 'host' | 'memory';

export interface StoredSession {
  sessionId: string;
  token: string;
  expiresAt: string;
  visitorId: string;
  /** When this page got the session (ms since the epoch; 0 when unknown): see SessionKeeper.sendDelay. */
  createdAt?: number;
  /** The message whose reply was streaming when the page went away, to rejoin after a reload. */
  pending?: { id: string; text: string } | null;
}

const KEY = 'session';

/** The iframe's side of the postMessage channel to the loader on the host page. */
export class HostBridge {
  private readonly handlers: Array<(msg: HostMessage) => void> = [];

  /** hostOrigin must already be validated against the site's allowed origins. */
  constructor(
    private readonly win: Window,
    readonly hostOrigin: string | null,
  ) {
    if (this.connected) win.addEventListener('message', this.onMessage);
  }

  get connected(): boolean {
    return this.hostOrigin !== null && this.win.parent !== this.win;
  }

  post(msg: FrameMessage): void {
    if (this.connected && this.hostOrigin) this.win.parent.postMessage(msg, this.hostOrigin);
  }

  listen(fn: (msg: HostMessage) => void): void {
    this.handlers.push(fn);
  }

  private onMessage = (e: MessageEvent): void => {
    if (e.source !== this.win.parent || e.origin !== this.hostOrigin) return;
    const msg = parseHostMessage(e.data);
    if (msg) for (const fn of this.handlers) fn(msg);
  };
}

/** Returns the iframe's localStorage when it really keeps a value, else null. Writes a probe. */
export function probeLocalStorage(win: Window): Storage | null {
  try {
    const ls = win.localStorage;
    const probe = 'chatproxy:probe';
    ls.setItem(probe, '1');
    const kept = ls.getItem(probe) === '1';
    ls.removeItem(probe);
    return kept ? ls : null;
  } catch {
    return null;
  }
}

function parse(value: string | null | undefined): StoredSession | null {
  if (!value) return null;
  try {
    const v = JSON.parse(value) as Partial<StoredSession>;
    if (typeof v.visitorId !== 'string') return null;
    return {
      sessionId: typeof v.sessionId === 'string' ? v.sessionId : '',
      token: typeof v.token === 'string' ? v.token : '',
      expiresAt: typeof v.expiresAt === 'string' ? v.expiresAt : '',
      visitorId: v.visitorId,
      createdAt: typeof v.createdAt === 'number' && Number.isFinite(v.createdAt) ? v.createdAt : 0,
      pending: v.pending && typeof v.pending.id === 'string' && typeof v.pending.text === 'string' ? v.pending : null,
    };
  } catch {
    return null;
  }
}

export class SessionStore {
  private memory: StoredSession | null = null;

  private constructor(
    readonly mode: Persistence,
    private readonly key: string,
    private readonly local: Storage | null,
    private readonly bridge: HostBridge,
  ) {}

  /**
   * Picks the best place that works. `restored` is the loader's "chatproxy:restore" answer
   * (null when there is no loader, or it did not answer in time).
   */
  static init(
    win: Window,
    siteId: string,
    bridge: HostBridge,
    restored: { ok: boolean; values: Record<string, string> } | null,
  ): SessionStore {
    const key = `chatproxy:${siteId}:${KEY}`;
    const local = probeLocalStorage(win);
    const hostValue = restored ? parse(restored.values[KEY]) : null;
    let store: SessionStore;
    if (local) store = new SessionStore('local', key, local, bridge);
    else if (bridge.connected && restored?.ok) store = new SessionStore('host', key, null, bridge);
    else store = new SessionStore('memory', key, null, bridge);
    store.memory = (local ? parse(local.getItem(key)) : null) ?? hostValue;
    return store;
  }

  load(): StoredSession | null {
    return this.memory;
  }

  save(value: StoredSession | null): void {
    this.memory = value;
    const text = value ? JSON.stringify(value) : null;
    if (this.mode === 'local' && this.local) {
      try {
        if (text === null) this.local.removeItem(this.key);
        else this.local.setItem(this.key, text);
      } catch {
        // quota or a late SecurityError: the memory copy still works for this page
      }
    } else if (this.mode === 'host') {
      this.bridge.post({ type: 'chatproxy:store', key: KEY, value: text });
    }
  }
}
