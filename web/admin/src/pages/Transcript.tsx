// One conversation: its facts and every message. Agent answers are drawn by the widget's own
// Markdown renderer (React elements, never HTML strings; links https/mailto only; no remote
// images), visitor text as plain text.

import { useMemo } from 'react';
import { renderMarkdown, type MarkdownOptions } from '../../../widget/src/app/markdown';
import { del, get, seg } from '../api/client';
import type { Transcript, TranscriptMessage } from '../api/types';
import { Link, navigate } from '../router';
import { can, useSession } from '../session';
import { ErrorNote, Loading, PageHeader, Time, useAsync } from '../ui/kit';

// The console never loads images from answers: an operator's browser is worth more than a visitor's.
const MARKDOWN: MarkdownOptions = { allowImages: false, imageHosts: [] };

export function TranscriptBody({ m }: { m: TranscriptMessage }) {
  const text = m.text ?? '';
  const nodes = useMemo(() => (m.role === 'assistant' ? renderMarkdown(text, MARKDOWN) : null), [m.role, text]);
  return m.role === 'assistant' ? <div className="md">{nodes}</div> : <p className="plain-text">{text}</p>;
}

const ms = (v: number | null | undefined) => (typeof v === 'number' && v >= 0 ? `${v} ms` : '—');

export function TranscriptPage({ id }: { id: string }) {
  const { session } = useSession();
  const t = useAsync((signal) => get<Transcript>(`/conversations/${seg(id)}`, undefined, signal), [id]);
  const remove = async (site: string) => {
    if (!window.confirm('Delete this conversation and its messages? This cannot be undone.')) return;
    try {
      await del(`/conversations/${seg(id)}`);
      navigate(`/admin/conversations?site=${encodeURIComponent(site)}`);
    } catch (err) {
      window.alert(err instanceof Error ? err.message : String(err));
    }
  };
  if (t.error)
    return (
      <>
        <PageHeader title="Conversation" />
        <ErrorNote error={t.error} />
        <Link to="/admin/conversations">Back to conversations</Link>
      </>
    );
  if (!t.data) return <Loading label="Loading the conversation…" />;
  const c = t.data.conversation;
  const messages = t.data.messages;
  return (
    <>
      <PageHeader title="Conversation">
        <Link className="button secondary" to="/admin/conversations">
          All conversations
        </Link>
        {c.site_id && can(session.account).deleteConversation(c.site_id) && (
          <button type="button" className="button danger" onClick={() => void remove(c.site_id ?? '')}>
            Delete
          </button>
        )}
      </PageHeader>
      <dl className="facts card">
        <dt>Site</dt>
        <dd className="mono">{c.site_id}</dd>
        <dt>Session</dt>
        <dd className="mono break">{c.session_id}</dd>
        <dt>Started</dt>
        <dd>
          <Time at={c.started_at} />
        </dd>
        <dt>Visitor</dt>
        <dd>
          <span className="mono">{c.visitor_id}</span> {c.returning ? '(returning)' : ''}
        </dd>
        {c.page_url && (
          <>
            <dt>First page</dt>
            <dd className="break">{c.page_url}</dd>
          </>
        )}
        {c.user_agent && (
          <>
            <dt>Browser</dt>
            <dd className="break">{c.user_agent}</dd>
          </>
        )}
        {c.country && (
          <>
            <dt>Country</dt>
            <dd>{c.country}</dd>
          </>
        )}
      </dl>
      <ol className="transcript" aria-label="Messages">
        {messages.map((m, i) => (
          <li key={m.id ?? i} className={`turn ${m.role}`}>
            <div className="turn-head">
              <strong>{m.role === 'user' ? 'Visitor' : 'Agent'}</strong> <Time at={m.created_at} />
              {m.role === 'assistant' && m.status && m.status !== 'complete' && <span className={`badge status-${m.status}`}>{m.status}</span>}
              {m.error_code && <span className="badge status-error">{m.error_code}</span>}
            </div>
            <TranscriptBody m={m} />
            <p className="turn-meta muted">
              {[m.role === 'assistant' ? `first token ${ms(m.first_token_ms)} · total ${ms(m.total_ms)}` : '', m.page_url ?? '']
                .filter((x) => x !== '')
                .join(' · ')}
            </p>
          </li>
        ))}
      </ol>
      {messages.length === 0 && <p className="empty">This conversation has no messages.</p>}
    </>
  );
}
