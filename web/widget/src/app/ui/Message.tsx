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
}

function statusNote(m: ChatMessage, t: Translate): string {
  if (m.note) return m.note;
  if (m.status === 'queued') return t('queued');
  if (m.status === 'sending') return t('sending');
  if (m.status === 'failed') return t('failed');
  return '';
}

export const Message = memo(function Message({ message: m, t, markdown, onRetry }: Props) {
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
