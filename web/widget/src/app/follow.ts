// Follows one assistant reply to its end across network drops: reads the SSE body, and when
// the connection breaks resumes with GET /chat/stream?message_id=… and Last-Event-ID (or, if
// the drop came before the reply even began, posts the same client_message_id again, which
// the server joins instead of storing twice). Waits with jittered backoff, wakes early when
// the browser comes back online or the page becomes visible again.

import { ApiError } from './api';
import type { ReplyTracker } from './reply';
import { SSEParser } from './sse';

export type ConnectionState = 'connected' | 'reconnecting' | 'offline';
export type FollowResult = 'finished' | 'reset' | 'gave-up' | 'aborted';

/** A sleep that online/visibility events can cut short. */
export class Waker {
  private readonly waiters = new Set<() => void>();

  wake(): void {
    for (const fn of [...this.waiters]) fn();
  }

  /** Calls fn on every wake until the returned function is called. */
  onWake(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const off = this.onWake(done);
      signal?.addEventListener('abort', done);
    });
  }
}

export interface FollowDeps {
  /** Posts the original message again (same client_message_id). */
  restart(signal: AbortSignal): Promise<Response>;
  /** Resumes a begun reply after lastEventId. */
  resume(messageId: string, lastEventId: string, signal: AbortSignal): Promise<Response>;
  /** Something visible changed (text, begin, error). */
  onUpdate(): void;
  onConnection(state: ConnectionState): void;
  isOnline(): boolean;
  waker: Waker;
  /** A stream silent for this long is treated as dead (the server pings every 15 s). */
  stallMs?: number;
  /** Consecutive failed reconnects (while online) before giving up. */
  maxFailures?: number;
}

type ReadResult = 'finished' | 'reset' | 'dropped';

export function backoffMs(failures: number, random = Math.random()): number {
  const base = Math.min(15000, 500 * 2 ** failures);
  return Math.round(base * (0.5 + random * 0.5));
}

async function readStream(res: Response, tracker: ReplyTracker, deps: FollowDeps): Promise<ReadResult> {
  if (!res.body) return 'dropped';
  const reader = res.body.getReader();
  let result = 'dropped' as ReadResult; // set from the parser callback
  let lastByte = Date.now();
  const stallMs = deps.stallMs ?? 45000;
  const cut = () => void reader.cancel().catch(() => undefined);
  const watchdog = setInterval(() => Date.now() - lastByte > stallMs && cut(), Math.min(5000, stallMs));
  // Coming back to the page or online: a stream silent for a while may be dead without an error.
  const offWake = deps.waker.onWake(() => Date.now() - lastByte > 5000 && cut());
  const parser = new SSEParser({
    onMessage: (msg) => {
      const r = tracker.accept(msg.id, msg.data);
      if (r === 'reset') result = 'reset';
      else if (r === 'done' || r === 'end') result = 'finished';
      if (r === 'text' || r === 'begin' || r === 'error' || r === 'end') deps.onUpdate();
    },
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      lastByte = Date.now();
      deps.onConnection('connected');
      parser.push(value);
      if (result === 'reset' || (result === 'finished' && tracker.finished)) break;
    }
    parser.end();
  } catch {
    // network error or cancelled by the watchdog: resume below
  } finally {
    clearInterval(watchdog);
    offWake();
    cut();
  }
  if (result === 'dropped' && tracker.finished) result = 'finished';
  return result;
}

/**
 * Reads `first` (or, when null, posts again at once) and keeps the reply going until it ends,
 * is reset, or reconnecting is hopeless.
 */
export async function followReply(
  first: Response | null,
  tracker: ReplyTracker,
  deps: FollowDeps,
  signal: AbortSignal,
): Promise<FollowResult> {
  const maxFailures = deps.maxFailures ?? 10;
  let res: Response | null = first;
  let failures = 0;
  let waitFirst = first !== null;
  for (;;) {
    if (res) {
      const before = tracker.lastEventId;
      const r = await readStream(res, tracker, deps);
      if (signal.aborted) return 'aborted';
      if (r !== 'dropped') return r;
      if (tracker.lastEventId !== before) failures = 0; // it made progress: start the backoff over
      res = null;
    }
    const online = deps.isOnline();
    if (waitFirst || !online) {
      deps.onConnection(online ? 'reconnecting' : 'offline');
      await deps.waker.sleep(online ? backoffMs(failures) : 30000, signal);
    }
    waitFirst = true;
    if (signal.aborted) return 'aborted';
    if (!deps.isOnline()) continue; // offline time does not count against the reply
    try {
      res = tracker.messageId
        ? await deps.resume(tracker.messageId, tracker.lastEventId, signal)
        : await deps.restart(signal);
    } catch (err) {
      if (signal.aborted) return 'aborted';
      if (err instanceof ApiError && !err.transient) {
        // The reply is unknown (404): reload from history. Any other refusal (the session is
        // gone, another session's reply) ends the attempt.
        return err.status === 404 ? 'reset' : 'gave-up';
      }
      res = null;
    }
    if (!res && ++failures >= maxFailures) return 'gave-up';
  }
}
