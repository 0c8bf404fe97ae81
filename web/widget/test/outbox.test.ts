import { describe, expect, it } from 'vitest';
import { Outbox, type OutboxItem, type SendOutcome } from '../src/app/outbox';

/** A send function that records calls and answers from a script (default 'sent'). */
function scripted(answers: Record<string, SendOutcome[]> = {}) {
  const calls: string[] = [];
  const send = async (item: OutboxItem): Promise<SendOutcome> => {
    calls.push(item.clientMessageId);
    await new Promise((r) => setTimeout(r, 1));
    return answers[item.clientMessageId]?.shift() ?? 'sent';
  };
  return { calls, send };
}

describe('Outbox', () => {
  it('sends queued messages one at a time, in the order they were typed', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const calls: string[] = [];
    const box = new Outbox(async (item) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      calls.push(item.text);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return 'sent';
    });
    box.enqueue('one', 'id-1');
    box.enqueue('two', 'id-2');
    box.enqueue('three', 'id-3');
    await box.flush();
    expect(calls).toEqual(['one', 'two', 'three']);
    expect(maxInFlight).toBe(1);
    expect(box.pending()).toEqual([]);
  });

  it('never queues the same client_message_id twice, even after it was sent', async () => {
    const { calls, send } = scripted();
    const box = new Outbox(send);
    const a = box.enqueue('hello', 'id-1');
    const b = box.enqueue('hello', 'id-1');
    expect(b).toBe(a);
    await box.flush();
    box.enqueue('hello', 'id-1');
    await box.flush();
    expect(calls).toEqual(['id-1']);
  });

  it('shares one run between concurrent flushes (online event + click at once)', async () => {
    const { calls, send } = scripted();
    const box = new Outbox(send);
    box.enqueue('a', 'id-a');
    box.enqueue('b', 'id-b');
    await Promise.all([box.flush(), box.flush(), box.flush()]);
    expect(calls).toEqual(['id-a', 'id-b']);
  });

  it('stops at a transient failure, keeps the order, and resends with the same id later', async () => {
    const { calls, send } = scripted({ 'id-1': ['retry'] });
    const box = new Outbox(send);
    box.enqueue('first', 'id-1');
    box.enqueue('second', 'id-2');
    await box.flush();
    expect(calls).toEqual(['id-1']); // id-2 did not overtake id-1
    expect(box.get('id-1')).toMatchObject({ state: 'queued', attempts: 1 });
    await box.flush(); // back online
    expect(calls).toEqual(['id-1', 'id-1', 'id-2']);
    expect(box.pending()).toEqual([]);
  });

  it('marks a refused message failed, goes on with the next, and retries it on request', async () => {
    const { calls, send } = scripted({ 'id-1': ['failed'] });
    const states: string[] = [];
    const box = new Outbox(send, (item) => item.clientMessageId === 'id-1' && states.push(item.state));
    box.enqueue('bad', 'id-1');
    box.enqueue('good', 'id-2');
    await box.flush();
    expect(box.get('id-1')?.state).toBe('failed');
    expect(calls).toEqual(['id-1', 'id-2']);
    expect(box.retry('id-2')).toBe(false); // already sent
    expect(box.retry('id-1')).toBe(true);
    await box.flush();
    expect(calls).toEqual(['id-1', 'id-2', 'id-1']);
    expect(states).toEqual(['queued', 'sending', 'failed', 'queued', 'sending', 'sent']);
  });

  it('treats a thrown error as transient', async () => {
    const box = new Outbox(async () => {
      throw new Error('boom');
    });
    box.enqueue('x', 'id-x');
    await box.flush();
    expect(box.get('id-x')?.state).toBe('queued');
  });

  it('forgets everything on clear(), and a send in flight is not followed by others', async () => {
    let box: Outbox | null = null;
    const calls: string[] = [];
    box = new Outbox(async (item) => {
      calls.push(item.clientMessageId);
      box?.clear();
      return 'sent';
    });
    box.enqueue('a', 'id-a');
    box.enqueue('b', 'id-b');
    await box.flush();
    expect(calls).toEqual(['id-a']);
    expect(box.pending()).toEqual([]);
  });
});
