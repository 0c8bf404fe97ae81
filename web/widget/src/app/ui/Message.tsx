// One chat bubble. User text is shown as plain text; assistant text as safe Markdown.

import { memo, useMemo } from 'react';
import type { Translate } from '../i18n';
import { renderMarkdown, type MarkdownOptions } from '../markdown';
import type { ChatMessage } from '../state';

interface Props {
  message: ChatMessage;
  t: Translate;
  markdown: MarkdownOptions;
  onRetry: (message: ChatMessage) => void;
  onRate: (key: string, rating: 'up' | 'down') => void;
}

/** Thumbs up and down under a finished answer: buttons (keyboard and screen-reader friendly)
 * with aria-pressed; after one change both are disabled. */
function Rating({ m, t, onRate }: { m: ChatMessage; t: Translate; onRate: Props['onRate'] }) {
  const button = (rating: 'up' | 'down', label: string, glyph: string) => (
    <button
      type="button"
      className={`cp-rate cp-rate-${rating}`}
      aria-pressed={m.rating === rating}
      aria-label={label}
      title={label}
      disabled={m.ratingChanged === true}
      onClick={() => onRate(m.key, rating)}
    >
      <span aria-hidden="true">{glyph}</span>
    </button>
  );
  return (
    <div className="cp-rating" role="group" aria-label={t('rateUp') + ' / ' + t('rateDown')}>
      {button('up', t('rateUp'), '\u{1F44D}')}
      {button('down', t('rateDown'), '\u{1F44E}')}
    </div>
  );
}

function statusNote(m: ChatMessage, t: Translate): string {
  if (m.note) return m.note;
  if (m.status === 'queued') return t('queued');
  if (m.status === 'sending') return t('sending');
  if (m.status === 'failed') return t('failed');
  return '';
}

export const Message = memo(function Message({ message: m, t, markdown, onRetry, onRate }: Props) {
  const body = useMemo(
    () => (m.role === 'assistant' ? renderMarkdown(m.content, markdown) : m.content),
    [m.role, m.content, markdown],
  );
  const typing = m.role === 'assistant' && m.status === 'streaming' && m.content === '';
  const note = statusNote(m, t);
  return (
    <div className={`cp-msg cp-${m.role} cp-status-${m.status}`}>
      <span className="cp-sr">{m.role === 'user' ? t('you') : t('assistant')}: </span>
      {typing ? (
        <div className="cp-bubble cp-typing" role="img" aria-label={t('typing')}>
          <span />
          <span />
          <span />
        </div>
      ) : (
        (m.content !== '' || m.role === 'user') && <div className="cp-bubble">{body}</div>
      )}
      {m.role === 'assistant' && m.messageId && (m.status === 'complete' || m.status === 'partial') && (
        <Rating m={m} t={t} onRate={onRate} />
      )}
      {note && (
        <p className={m.status === 'failed' || m.status === 'error' || m.status === 'interrupted' ? 'cp-note cp-note-error' : 'cp-note'}>
          {note}
          {m.retryable && (
            <button type="button" className="cp-link-button" onClick={() => onRetry(m)}>
              {t('retry')}
            </button>
          )}
        </p>
      )}
    </div>
  );
});
