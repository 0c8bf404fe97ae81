// The chat's visible state and a tiny store for it (read by React through
// useSyncExternalStore). Updates replace objects, never mutate them, so React sees changes.

import type { SiteConfig } from './config';
import type { ConnectionState } from './follow';
import type { Lang, Translate } from './i18n';
import type { Persistence } from './persist';

export type MessageStatus =
  | 'queued' // user: waiting for the connection
  | 'sending' // user: on its way
  | 'sent' // user: the server has it
  | 'failed' // user: refused; see note, maybe retryable
  | 'streaming' // assistant: arriving
  | 'complete' // assistant: done
  | 'partial' // assistant: stopped part way
  | 'error' // assistant: no answer
  | 'interrupted'; // assistant: the connection could not be resumed

export interface ChatMessage {
  key: string;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  /** user: its own id; assistant: the id of the user message it answers. */
  clientMessageId?: string;
  /** A short explanation shown under the bubble (an error, "not sent", …). */
  note?: string;
  retryable?: boolean;
  /** assistant: the server's id of the answer (feedback needs it). */
  messageId?: string;
  /** assistant: the visitor's thumbs up or down; ratingChanged once it was changed (no more changes). */
  rating?: 'up' | 'down';
  ratingChanged?: boolean;
}

export interface ChatState {
  /** consent: an opt_in site waiting for the visitor to accept (nothing stored yet). */
  phase: 'loading' | 'ready' | 'unavailable' | 'consent';
  config: SiteConfig | null;
  lang: Lang;
  t: Translate;
  messages: ChatMessage[];
  connection: ConnectionState;
  persistence: Persistence | 'unknown';
  /** Seconds left before the server accepts another message (429), 0 when none. */
  rateWait: number;
  /** A transient notice (e.g. message too long), '' when none. */
  notice: string;
  /** The text for the polite live region: the last completed answer. */
  announce: string;
  open: boolean;
  mobile: boolean;
  /** The visitor declined on an opt_in site. */
  declined: boolean;
  /** The header's privacy menu is open / the erase confirmation is shown. */
  menu: boolean;
  confirmErase: boolean;
}

export class Store<S> {
  private readonly listeners = new Set<() => void>();

  constructor(private state: S) {}

  get = (): S => this.state;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  set(patch: Partial<S>): void {
    this.state = { ...this.state, ...patch };
    for (const fn of this.listeners) fn();
  }
}

/** Returns messages with the one matching `key` replaced by `patch` applied to it. */
export function patchMessage(messages: ChatMessage[], key: string, patch: Partial<ChatMessage>): ChatMessage[] {
  return messages.map((m) => (m.key === key ? { ...m, ...patch } : m));
}

/** A random RFC 4122 v4 id; works outside secure contexts too (no crypto.randomUUID needed). */
export function uuid(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
