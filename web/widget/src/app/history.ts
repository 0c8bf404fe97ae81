// Pure helpers for placing messages: server history rows → chat messages, where an answer
// goes in the list, and whether a reply that was in flight before a reload got answered.

import type { HistoryMessage } from './api';
import type { ChatMessage } from './state';

export function fromHistory(m: HistoryMessage): ChatMessage {
  if (m.role === 'user') return { key: m.id, role: 'user', content: m.content, status: 'sent' };
  const status = m.status === 'failed' ? 'error' : m.status === 'partial' ? 'partial' : 'complete';
  return { key: m.id, role: 'assistant', content: m.content, status, messageId: m.id };
}

/**
 * After a reload: was the message whose reply was in flight answered meanwhile? History has
 * no client ids, so look at its tail: the pending text followed by a finished answer.
 */
export function pendingAnswered(messages: ChatMessage[], text: string): boolean {
  const last = messages[messages.length - 1];
  const before = messages[messages.length - 2];
  if (last?.role === 'user') return last.content !== text; // another question is last: this one was dealt with
  return !!last && before?.role === 'user' && before.content === text;
}

/** Inserts an answer right after its question, before messages still waiting to be sent. */
export function insertAnswer(messages: ChatMessage[], answer: ChatMessage, clientMessageId: string): ChatMessage[] {
  const out = [...messages];
  const at = out.findIndex((m) => m.role === 'user' && m.clientMessageId === clientMessageId);
  out.splice(at < 0 ? out.length : at + 1, 0, answer);
  return out;
}
