import { describe, expect, it } from 'vitest';
import { parseEventId, ReplyTracker } from '../src/app/reply';

const ev = (o: object) => JSON.stringify(o);

describe('ReplyTracker', () => {
  it('builds the text from items and records begin/end', () => {
    const t = new ReplyTracker();
    expect(t.accept('e-1', ev({ type: 'begin', message_id: 'a1', user_message_id: 'u1' }))).toBe('begin');
    expect(t.accept('e-2', ev({ type: 'item', content: 'Hel' }))).toBe('text');
    expect(t.accept('e-3', ev({ type: 'item', content: 'lo!' }))).toBe('text');
    expect(t.accept('e-4', ev({ type: 'end', status: 'complete' }))).toBe('end');
    expect(t.accept('e-4', '[DONE]')).toBe('done');
    expect(t).toMatchObject({ text: 'Hello!', messageId: 'a1', userMessageId: 'u1', status: 'complete', lastEventId: 'e-4', finished: true });
  });

  it('ignores events replayed after a resume (same epoch, offset already seen)', () => {
    const t = new ReplyTracker();
    t.accept('e-1', ev({ type: 'begin', message_id: 'a1' }));
    t.accept('e-2', ev({ type: 'item', content: 'A' }));
    t.accept('e-3', ev({ type: 'item', content: 'B' }));
    expect(t.accept('e-2', ev({ type: 'item', content: 'A' }))).toBe('ignored');
    expect(t.accept('e-3', ev({ type: 'item', content: 'B' }))).toBe('ignored');
    t.accept('e-4', ev({ type: 'item', content: 'C' }));
    expect(t.text).toBe('ABC');
    expect(t.lastEventId).toBe('e-4');
  });

  it('starts the text over when a replay begins again from the start (new epoch)', () => {
    const t = new ReplyTracker();
    t.accept('e-1', ev({ type: 'begin', message_id: 'a1' }));
    t.accept('e-2', ev({ type: 'item', content: 'Hel' }));
    t.accept('f-1', ev({ type: 'begin', message_id: 'a1' }));
    t.accept('f-2', ev({ type: 'item', content: 'Hello' }));
    expect(t.text).toBe('Hello');
  });

  it('reports error, reset and reconnect, and ignores junk and empty items', () => {
    const t = new ReplyTracker();
    expect(t.accept('', 'not json')).toBe('ignored');
    expect(t.accept('', ev({ nope: 1 }))).toBe('ignored');
    expect(t.accept('', ev({ type: 'item', content: '' }))).toBe('ignored');
    expect(t.accept('', ev({ type: 'keepalive' }))).toBe('ignored');
    expect(t.accept('x-1', ev({ type: 'error', code: 'upstream_timeout', content: 'Too slow' }))).toBe('error');
    expect(t).toMatchObject({ errorCode: 'upstream_timeout', errorText: 'Too slow' });
    expect(t.accept('x-2', ev({ type: 'reconnect' }))).toBe('reconnect');
    expect(t.accept('', ev({ type: 'reset' }))).toBe('reset');
  });

  it('parses event ids', () => {
    expect(parseEventId('6f1c2a-12')).toEqual({ epoch: '6f1c2a', offset: 12 });
    expect(parseEventId('a-b-3')).toEqual({ epoch: 'a-b', offset: 3 });
    expect(parseEventId('nodash')).toBeNull();
    expect(parseEventId('e-x')).toBeNull();
  });
});
