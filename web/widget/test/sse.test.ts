import { describe, expect, it } from 'vitest';
import { SSEParser, type SSEMessage } from '../src/app/sse';

function collect() {
  const messages: SSEMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = new SSEParser({
    onMessage: (m) => messages.push(m),
    onComment: (c) => comments.push(c),
    onRetry: (ms) => retries.push(ms),
  });
  return { parser, messages, comments, retries };
}

const enc = new TextEncoder();

/** Feeds `text` to a parser as bytes cut at every given offset. */
function feedBytes(parser: SSEParser, text: string, cuts: number[]): void {
  const bytes = enc.encode(text);
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.push(bytes.subarray(from, cut));
    from = cut;
  }
  parser.end();
}

const STREAM =
  'retry: 3000\n\n' +
  'id: 6f1c2a-1\ndata: {"type":"begin","message_id":"m1"}\n\n' +
  ': ping\n\n' +
  'id: 6f1c2a-2\ndata: {"type":"item","content":"Привет, мир! 👋 ok"}\n\n' +
  'id: 6f1c2a-3\ndata: {"type":"end","message_id":"m1","status":"complete"}\n\n' +
  'data: [DONE]\n\n';

describe('SSEParser', () => {
  it('parses a whole stream: ids, data, comments, retry and [DONE]', () => {
    const { parser, messages, comments, retries } = collect();
    feedBytes(parser, STREAM, []);
    expect(retries).toEqual([3000]);
    expect(comments).toEqual(['ping']);
    expect(messages.map((m) => m.id)).toEqual(['6f1c2a-1', '6f1c2a-2', '6f1c2a-3', '6f1c2a-3']);
    expect(messages.map((m) => m.event)).toEqual(['message', 'message', 'message', 'message']);
    expect(JSON.parse(messages[1]!.data).content).toBe('Привет, мир! 👋 ok');
    expect(messages[3]!.data).toBe('[DONE]');
  });

  it('gives the same result however the bytes are split, including inside multi-byte characters', () => {
    const reference = collect();
    feedBytes(reference.parser, STREAM, []);
    const total = enc.encode(STREAM).length;
    for (let cut = 1; cut < total; cut++) {
      const c = collect();
      feedBytes(c.parser, STREAM, [cut]);
      expect(c.messages, `cut at byte ${cut}`).toEqual(reference.messages);
    }
    // One byte at a time: every 2-, 3- and 4-byte UTF-8 sequence is split.
    const c = collect();
    feedBytes(c.parser, STREAM, Array.from({ length: total - 1 }, (_, i) => i + 1));
    expect(c.messages).toEqual(reference.messages);
    expect(c.comments).toEqual(['ping']);
  });

  it('accepts CRLF and lone CR line endings, even with CR and LF in different chunks', () => {
    const crlf = STREAM.replace(/\n/g, '\r\n');
    const cr = STREAM.replace(/\n/g, '\r');
    const reference = collect();
    feedBytes(reference.parser, STREAM, []);
    for (const text of [crlf, cr]) {
      const bytes = enc.encode(text).length;
      for (let cut = 1; cut < bytes; cut++) {
        const c = collect();
        feedBytes(c.parser, text, [cut]);
        expect(c.messages, `cut at ${cut}`).toEqual(reference.messages);
      }
    }
  });

  it('joins multi-line data with \\n, reads event names and ignores unknown fields', () => {
    const { parser, messages } = collect();
    parser.pushText('event: item\ndata: line one\ndata:line two\nfoo: bar\n\n');
    expect(messages).toEqual([{ id: '', event: 'item', data: 'line one\nline two' }]);
  });

  it('drops an event that never got its blank line and events with no data', () => {
    const { parser, messages } = collect();
    parser.pushText('id: 1-1\n\nevent: x\n\ndata: unfinished');
    parser.end();
    expect(messages).toEqual([]);
  });

  it('keeps the last event id across events and strips a leading BOM', () => {
    const { parser, messages } = collect();
    parser.pushText('\ufeffid: e-5\ndata: a\n\ndata: b\n\n');
    expect(messages.map((m) => [m.id, m.data])).toEqual([
      ['e-5', 'a'],
      ['e-5', 'b'],
    ]);
  });

  it('ignores heartbeats made only of comments between events', () => {
    const { parser, messages, comments } = collect();
    parser.pushText(': ping\n\n: ping\n\ndata: x\n\n:\n\n');
    expect(messages).toHaveLength(1);
    expect(comments).toEqual(['ping', 'ping', '']);
  });

  it('rejects a non-numeric retry and an id containing NUL', () => {
    const { parser, messages, retries } = collect();
    parser.pushText('retry: soon\nid: a\u0000b\ndata: x\n\n');
    expect(retries).toEqual([]);
    expect(messages[0]!.id).toBe('');
  });
});
