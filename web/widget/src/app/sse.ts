// An incremental Server-Sent Events parser for fetch() bodies (EventSource cannot POST or
// send an Authorization header). It follows the WHATWG event-stream rules: bytes are decoded
// as streaming UTF-8 (a character split across chunks is kept until complete), lines end in
// LF, CR or CRLF (even when the CR and LF arrive in different chunks), ":" lines are comments,
// an empty line dispatches the event, and the last event id carries over between events.

export interface SSEMessage {
  /** The last event id seen so far (the spec's "last event ID buffer"); '' when none yet. */
  id: string;
  /** The `event:` field, 'message' when absent. */
  event: string;
  data: string;
}

export interface SSEHandlers {
  onMessage(msg: SSEMessage): void;
  onRetry?(ms: number): void;
  onComment?(text: string): void;
}

export class SSEParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private skipLF = false;
  private sawFirst = false;
  private data: string[] = [];
  private hasData = false;
  private eventType = '';
  private lastId = '';

  constructor(private readonly handlers: SSEHandlers) {}

  /** Feeds raw bytes from the response body. */
  push(chunk: Uint8Array): void {
    this.pushText(this.decoder.decode(chunk, { stream: true }));
  }

  /** Call at end of stream: flushes the decoder. A trailing event with no blank line is dropped, as the spec says. */
  end(): void {
    this.pushText(this.decoder.decode());
  }

  /** Feeds already-decoded text (used by tests and by push). */
  pushText(text: string): void {
    if (!this.sawFirst && text.length > 0) {
      this.sawFirst = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 && this.skipLF && i === start && this.buffer === '') {
        // The LF of a CRLF whose CR ended the previous chunk.
        this.skipLF = false;
        start = i + 1;
        continue;
      }
      this.skipLF = false;
      if (c === 10 || c === 13) {
        this.line(this.buffer + text.slice(start, i));
        this.buffer = '';
        if (c === 13) {
          if (text.charCodeAt(i + 1) === 10) i++;
          else if (i + 1 === text.length) this.skipLF = true;
        }
        start = i + 1;
      }
    }
    this.buffer += text.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) {
      this.handlers.onComment?.(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (value.indexOf('\u0000') < 0) this.lastId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.onRetry?.(parseInt(value, 10));
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  private dispatch(): void {
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    const msg: SSEMessage = { id: this.lastId, event: this.eventType || 'message', data: this.data.join('\n') };
    this.data = [];
    this.hasData = false;
    this.eventType = '';
    this.handlers.onMessage(msg);
  }
}
