// The outbox: visitor messages waiting to reach the server, sent one at a time in the order
// they were typed. Every entry keeps one client_message_id for its whole life, so a retry
// after a network failure (or a duplicate enqueue) can never make the server store it twice.
// The outbox knows nothing about HTTP: the caller passes a send function that reports how it went.

export type OutboxState = 'queued' | 'sending' | 'sent' | 'failed';

export interface OutboxItem {
  clientMessageId: string;
  text: string;
  state: OutboxState;
  attempts: number;
}

/**
 * What a send attempt reports:
 * - 'sent': the server accepted it (the reply may still be streaming; that is not the outbox's job);
 * - 'retry': a transient failure (offline, network error, 5xx, 429): keep it queued and stop here,
 *   so later messages never overtake it;
 * - 'failed': the server refused it for good; mark it failed and go on with the next one.
 */
export type SendOutcome = 'sent' | 'retry' | 'failed';

export type Sender = (item: OutboxItem) => Promise<SendOutcome>;

export class Outbox {
  private items: OutboxItem[] = [];
  /** Ids already accepted by the server: enqueuing one of them again does nothing. */
  private readonly sent = new Set<string>();
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly send: Sender,
    private readonly onChange: (item: OutboxItem) => void = () => undefined,
  ) {}

  /** Adds a message; an id already in the outbox is not added again (the existing entry is returned). */
  enqueue(text: string, clientMessageId: string): OutboxItem {
    const existing = this.items.find((i) => i.clientMessageId === clientMessageId);
    if (existing) return existing;
    if (this.sent.has(clientMessageId)) return { clientMessageId, text, state: 'sent', attempts: 0 };
    const item: OutboxItem = { clientMessageId, text, state: 'queued', attempts: 0 };
    this.items.push(item);
    this.onChange(item);
    return item;
  }

  /** Puts a failed message back in the queue, keeping its id and its place in the order. */
  retry(clientMessageId: string): boolean {
    const item = this.items.find((i) => i.clientMessageId === clientMessageId);
    if (!item || item.state !== 'failed') return false;
    this.set(item, 'queued');
    return true;
  }

  /** Forgets everything (a new conversation). A send in flight finishes but is not followed by others. */
  clear(): void {
    this.items = [];
  }

  get(clientMessageId: string): OutboxItem | undefined {
    return this.items.find((i) => i.clientMessageId === clientMessageId);
  }

  pending(): OutboxItem[] {
    return this.items.filter((i) => i.state === 'queued' || i.state === 'sending');
  }

  /**
   * Sends queued messages in order, one at a time. Concurrent calls share one run, so two
   * triggers at once ("online" and a click) never send the same message twice.
   * Stops at the first 'retry'; the caller flushes again when the connection is back.
   */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.run().finally(() => {
        this.flushing = null;
      });
    }
    return this.flushing;
  }

  private async run(): Promise<void> {
    for (;;) {
      const item = this.items.find((i) => i.state === 'queued');
      if (!item) return;
      this.set(item, 'sending');
      item.attempts++;
      let outcome: SendOutcome;
      try {
        outcome = await this.send(item);
      } catch {
        outcome = 'retry';
      }
      if (!this.items.includes(item)) return; // cleared while sending
      if (outcome === 'retry') {
        this.set(item, 'queued');
        return;
      }
      this.set(item, outcome);
      if (outcome === 'sent') {
        this.sent.add(item.clientMessageId);
        this.items = this.items.filter((i) => i !== item);
      }
    }
  }

  private set(item: OutboxItem, state: OutboxState): void {
    item.state = state;
    this.onChange(item);
  }
}
