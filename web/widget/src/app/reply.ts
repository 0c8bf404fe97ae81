// Turns chatproxy's SSE events for one assistant reply into its text, exactly once.
// Event ids are "<epoch>-<offset>"; after a reconnect the server may send some events again,
// so an event whose offset is not past the last one seen in the same epoch is ignored, and a
// fresh "begin" (a replay from the start) starts the text over. Pure: no I/O, easy to test.

import type { components } from '../api/schema.gen';

/** The event types of docs/openapi.yaml's ReplyEvent. */
export type ReplyEventType = components['schemas']['ReplyEventType'];

/** An event's data as parsed: ReplyEvent, read leniently (an unknown type is ignored). */
export interface ReplyEvent {
  type: ReplyEventType | string;
  content?: string;
  code?: string;
  status?: string;
  message_id?: string;
  user_message_id?: string;
}

export type TrackResult = 'text' | 'begin' | 'end' | 'error' | 'reset' | 'reconnect' | 'done' | 'ignored';

/** Splits "<epoch>-<offset>"; null when the id has no numeric offset. */
export function parseEventId(id: string): { epoch: string; offset: number } | null {
  const dash = id.lastIndexOf('-');
  if (dash < 0) return null;
  const offset = Number(id.slice(dash + 1));
  return Number.isInteger(offset) && offset >= 0 ? { epoch: id.slice(0, dash), offset } : null;
}

export class ReplyTracker {
  text = '';
  messageId = '';
  userMessageId = '';
  /** The id to send as Last-Event-ID when resuming. */
  lastEventId = '';
  status = '';
  errorCode = '';
  errorText = '';
  finished = false;
  private epoch = '';
  private offset = -1;

  /** Applies one SSE message (its id and raw data). */
  accept(id: string, data: string): TrackResult {
    if (data === '[DONE]') {
      this.finished = true;
      return 'done';
    }
    let ev: ReplyEvent;
    try {
      ev = JSON.parse(data) as ReplyEvent;
    } catch {
      return 'ignored';
    }
    if (!ev || typeof ev !== 'object' || typeof ev.type !== 'string') return 'ignored';
    if (id && !this.isNew(id)) return 'ignored';
    return this.apply(ev);
  }

  private isNew(id: string): boolean {
    const pos = parseEventId(id);
    if (!pos) {
      this.lastEventId = id;
      return true;
    }
    if (pos.epoch === this.epoch && pos.offset <= this.offset) return false;
    this.epoch = pos.epoch;
    this.offset = pos.offset;
    this.lastEventId = id;
    return true;
  }

  private apply(ev: ReplyEvent): TrackResult {
    switch (ev.type) {
      case 'begin':
        if (ev.message_id) this.messageId = ev.message_id;
        if (ev.user_message_id) this.userMessageId = ev.user_message_id;
        this.text = '';
        return 'begin';
      case 'item':
        if (typeof ev.content !== 'string' || ev.content === '') return 'ignored';
        if (ev.message_id && !this.messageId) this.messageId = ev.message_id;
        this.text += ev.content;
        return 'text';
      case 'error':
        this.errorCode = typeof ev.code === 'string' ? ev.code : 'error';
        this.errorText = typeof ev.content === 'string' ? ev.content : '';
        return 'error';
      case 'end':
        this.status = typeof ev.status === 'string' ? ev.status : 'complete';
        this.finished = true;
        return 'end';
      case 'reset':
        return 'reset';
      case 'reconnect':
        return 'reconnect';
      default:
        return 'ignored';
    }
  }
}
