import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../src/app/api';
import { backoffMs, followReply, Waker, type FollowDeps } from '../src/app/follow';
import { ReplyTracker } from '../src/app/reply';

const enc = new TextEncoder();
const sse = (id: string, data: object | string) => `id: ${id}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** A streamed SSE response made of `parts`; with `drop`, the body then fails like a cut connection. */
function stream(parts: string[], drop = false): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const p of parts) {
        controller.enqueue(enc.encode(p));
        await new Promise((r) => setTimeout(r, 1));
      }
      if (drop) controller.error(new TypeError('network error'));
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
}

const timers: ReturnType<typeof setInterval>[] = [];
afterEach(() => timers.splice(0).forEach(clearInterval));

/** Deps whose waker fires every few ms, standing in for "online"/"visible" events. */
function deps(over: Partial<FollowDeps>): FollowDeps & { states: string[]; updates: number } {
  const waker = new Waker();
  timers.push(setInterval(() => waker.wake(), 5));
  const d = {
    states: [] as string[],
    updates: 0,
    restart: async () => {
      throw new Error('restart not expected');
    },
    resume: async () => {
      throw new Error('resume not expected');
    },
    onUpdate: () => void d.updates++,
    onConnection: (s: string) => void d.states.push(s),
    isOnline: () => true,
    waker,
    ...over,
  };
  return d;
}

describe('followReply', () => {
  it('resumes after a drop with Last-Event-ID and ends with the exact text, no duplicates', async () => {
    const calls: Array<[string, string]> = [];
    const d = deps({
      resume: async (id, last) => {
        calls.push([id, last]);
        // The server may repeat what the client already has; those events must be ignored.
        return stream([sse('e-2', { type: 'item', content: 'Hel' }), sse('e-3', { type: 'item', content: 'lo' }), sse('e-4', { type: 'end', status: 'complete' }), 'data: [DONE]\n\n']);
      },
    });
    const tracker = new ReplyTracker();
    const first = stream([sse('e-1', { type: 'begin', message_id: 'm1' }), sse('e-2', { type: 'item', content: 'Hel' })], true);
    const result = await followReply(first, tracker, d, new AbortController().signal);
    expect(result).toBe('finished');
    expect(tracker.text).toBe('Hello');
    expect(tracker.status).toBe('complete');
    expect(calls).toEqual([['m1', 'e-2']]);
    expect(d.states).toContain('reconnecting');
    expect(d.states[d.states.length - 1]).toBe('connected');
  });

  it('posts the same message again when the drop came before the reply began', async () => {
    let restarts = 0;
    const d = deps({
      restart: async () => {
        restarts++;
        return stream([sse('e-1', { type: 'begin', message_id: 'm1' }), sse('e-2', { type: 'item', content: 'Hi' }), 'data: [DONE]\n\n']);
      },
    });
    const tracker = new ReplyTracker();
    expect(await followReply(stream([': ping\n\n'], true), tracker, d, new AbortController().signal)).toBe('finished');
    expect(restarts).toBe(1);
    expect(tracker.text).toBe('Hi');
  });

  it('with no first response, posts at once (rejoin after reload)', async () => {
    let restarts = 0;
    const d = deps({
      restart: async () => {
        restarts++;
        return stream([sse('e-1', { type: 'begin', message_id: 'm1' }), sse('e-2', { type: 'item', content: 'Back' }), 'data: [DONE]\n\n']);
      },
    });
    const tracker = new ReplyTracker();
    expect(await followReply(null, tracker, d, new AbortController().signal)).toBe('finished');
    expect(restarts).toBe(1);
    expect(tracker.text).toBe('Back');
  });

  it('returns reset when the server cannot resume from that position', async () => {
    const d = deps({ resume: async () => stream([sse('', { type: 'reset' })]) });
    const tracker = new ReplyTracker();
    const first = stream([sse('e-1', { type: 'begin', message_id: 'm1' })], true);
    expect(await followReply(first, tracker, d, new AbortController().signal)).toBe('reset');
  });

  it('treats 404 on resume as reset and gives up after repeated network failures', async () => {
    const gone = deps({ resume: async () => Promise.reject(new ApiError(404, 'not_found', 'x')) });
    const t1 = new ReplyTracker();
    const first = () => stream([sse('e-1', { type: 'begin', message_id: 'm1' })], true);
    expect(await followReply(first(), t1, gone, new AbortController().signal)).toBe('reset');

    let tries = 0;
    const down = deps({
      maxFailures: 3,
      resume: async () => {
        tries++;
        throw new ApiError(0, 'network', 'x');
      },
    });
    expect(await followReply(first(), new ReplyTracker(), down, new AbortController().signal)).toBe('gave-up');
    expect(tries).toBe(3);
  });

  it('has no answer for statuses no endpoint sends: a 410 gives up like any refusal, a bodiless 204 is a drop', async () => {
    const first = () => stream([sse('e-1', { type: 'begin', message_id: 'm1' })], true);
    const gone = deps({ resume: async () => Promise.reject(new ApiError(410, 'http_410', 'x')) });
    expect(await followReply(first(), new ReplyTracker(), gone, new AbortController().signal)).toBe('gave-up');

    let resumes = 0;
    const empty = deps({
      resume: async () =>
        ++resumes === 1 ? new Response(null, { status: 204 }) : stream([sse('e-2', { type: 'end', status: 'complete' }), 'data: [DONE]\n\n']),
    });
    expect(await followReply(first(), new ReplyTracker(), empty, new AbortController().signal)).toBe('finished');
    expect(resumes).toBe(2);
  });

  it('waits while offline without counting it as failures, then resumes', async () => {
    let online = false;
    let resumes = 0;
    const d = deps({
      maxFailures: 1,
      isOnline: () => online,
      resume: async () => {
        resumes++;
        return stream([sse('e-2', { type: 'item', content: '!' }), 'data: [DONE]\n\n']);
      },
    });
    setTimeout(() => (online = true), 60);
    const tracker = new ReplyTracker();
    const first = stream([sse('e-1', { type: 'begin', message_id: 'm1' })], true);
    expect(await followReply(first, tracker, d, new AbortController().signal)).toBe('finished');
    expect(resumes).toBe(1);
    expect(d.states).toContain('offline');
    expect(tracker.text).toBe('!');
  });

  it('cuts a stream that went silent (no bytes, no pings) and resumes it', async () => {
    const silent = new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(enc.encode(sse('e-1', { type: 'begin', message_id: 'm1' })));
          // …and then nothing, forever.
        },
      }),
    );
    const d = deps({
      stallMs: 30,
      resume: async () => stream([sse('e-2', { type: 'item', content: 'ok' }), 'data: [DONE]\n\n']),
    });
    const tracker = new ReplyTracker();
    expect(await followReply(silent, tracker, d, new AbortController().signal)).toBe('finished');
    expect(tracker.text).toBe('ok');
  });

  it('stops when aborted (new conversation)', async () => {
    const ac = new AbortController();
    const d = deps({
      resume: async () => {
        ac.abort();
        throw new ApiError(0, 'network', 'x');
      },
    });
    const first = stream([sse('e-1', { type: 'begin', message_id: 'm1' })], true);
    expect(await followReply(first, new ReplyTracker(), d, ac.signal)).toBe('aborted');
  });

  it('backs off exponentially with jitter, capped at 15 s', () => {
    expect(backoffMs(0, 0)).toBe(250);
    expect(backoffMs(0, 1)).toBe(500);
    expect(backoffMs(3, 1)).toBe(4000);
    expect(backoffMs(20, 1)).toBe(15000);
  });
});
