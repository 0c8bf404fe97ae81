import { describe, expect, it } from 'vitest';
import { fromHistory, insertAnswer, pendingAnswered } from '../src/app/history';
import type { ChatMessage } from '../src/app/state';

const user = (key: string, content: string, clientMessageId?: string): ChatMessage => ({ key, role: 'user', content, status: 'sent', clientMessageId });
const bot = (key: string, content: string): ChatMessage => ({ key, role: 'assistant', content, status: 'complete' });

describe('history helpers', () => {
  it('maps server statuses', () => {
    const row = { id: 'a', role: 'assistant' as const, content: 'x', created_at: '' };
    expect(fromHistory({ ...row, status: 'complete' }).status).toBe('complete');
    expect(fromHistory({ ...row, status: 'partial' }).status).toBe('partial');
    expect(fromHistory({ ...row, status: 'failed' }).status).toBe('error');
    expect(fromHistory({ ...row, role: 'user', status: 'complete' })).toEqual({ key: 'a', role: 'user', content: 'x', status: 'sent' });
  });

  it('knows whether the in-flight question was answered before the reload', () => {
    expect(pendingAnswered([], 'q')).toBe(false); // never reached the server
    expect(pendingAnswered([user('1', 'q')], 'q')).toBe(false); // reached it, answer still running
    expect(pendingAnswered([user('1', 'q'), bot('2', 'a')], 'q')).toBe(true);
    expect(pendingAnswered([user('1', 'other'), bot('2', 'a')], 'q')).toBe(false);
    expect(pendingAnswered([user('1', 'q'), bot('2', 'a'), user('3', 'later')], 'q')).toBe(true);
  });

  it('puts an answer right after its question, ahead of queued messages', () => {
    const list = [user('1', 'one', 'c1'), user('2', 'two', 'c2')];
    expect(insertAnswer(list, bot('a', 'ans'), 'c1').map((m) => m.key)).toEqual(['1', 'a', '2']);
    expect(insertAnswer(list, bot('a', 'ans'), 'missing').map((m) => m.key)).toEqual(['1', '2', 'a']);
  });
});
