import { describe, expect, it } from 'vitest';
import { parseFrameMessage, parseHostMessage } from '../src/shared/protocol';

describe('postMessage shape checks', () => {
  it('accepts well-formed messages and strips extra fields', () => {
    expect(parseHostMessage({ type: 'chatproxy:open', extra: 1 })).toEqual({ type: 'chatproxy:open' });
    expect(parseHostMessage({ type: 'chatproxy:send', text: 'hi' })).toEqual({ type: 'chatproxy:send', text: 'hi' });
    expect(parseHostMessage({ type: 'chatproxy:restore', ok: true, values: { session: '{}' } })).toEqual({
      type: 'chatproxy:restore', ok: true, values: { session: '{}' },
    });
    expect(parseFrameMessage({ type: 'chatproxy:store', key: 'session', value: null })).toEqual({
      type: 'chatproxy:store', key: 'session', value: null,
    });
    expect(parseFrameMessage({ type: 'chatproxy:unread', count: 3 })).toEqual({ type: 'chatproxy:unread', count: 3 });
    expect(parseHostMessage({ type: 'chatproxy:consent', granted: false })).toEqual({ type: 'chatproxy:consent', granted: false });
  });

  it.each([
    null,
    'chatproxy:open',
    [],
    { type: 'chatproxy:nope' },
    { type: 'other:open' },
    { type: 'chatproxy:send', text: 42 },
    { type: 'chatproxy:context', context: [1, 2] },
    { type: 'chatproxy:page', url: 'https://x', mobile: 'yes' },
    { type: 'chatproxy:restore', ok: true, values: { a: 1 } },
    { type: 'chatproxy:consent', granted: 'yes' },
    { type: 'chatproxy:open', pad: 'x'.repeat(5000) },
    { type: 'chatproxy:send', text: 'x'.repeat(17000) },
  ])('host→frame rejects %j', (data) => {
    expect(parseHostMessage(data)).toBeNull();
  });

  it.each([
    { type: 'chatproxy:store', key: '../../etc', value: 'x' },
    { type: 'chatproxy:store', key: 'Session', value: 'x' },
    { type: 'chatproxy:store', key: 'session', value: 5 },
    { type: 'chatproxy:store', key: 'session', value: 'x'.repeat(5000) },
    { type: 'chatproxy:unread', count: -1 },
    { type: 'chatproxy:unread', count: 1.5 },
    { type: 'chatproxy:message', role: 'system', text: 'x' },
  ])('frame→host rejects %j', (data) => {
    expect(parseFrameMessage(data)).toBeNull();
  });
});
