// Conversations in the caller's scope: filters kept in the URL (so a view can be shared and
// survives reload), a table with keyset "Load more", and export of the same filter.

import { useEffect, useState, type FormEvent } from 'react';
import { API, get, queryString } from '../api/client';
import type { Conversation, ConversationList, List, Site } from '../api/types';
import { Link, navigate, useLocation } from '../router';
import { can, useSession } from '../session';
import { Empty, ErrorNote, Loading, PageHeader, Time, useAsync } from '../ui/kit';

export const FILTERS = ['site', 'from', 'to', 'status', 'returning', 'country', 'page', 'q'] as const;
type Filter = Record<(typeof FILTERS)[number], string>;

// The status of a conversation's last answer.
const STATUSES: Array<[string, string]> = [
  ['', 'Any'], ['complete', 'Answered'], ['partial', 'Partly answered'], ['failed', 'Failed'], ['pending', 'Waiting for an answer'],
];

/** Date inputs give "YYYY-MM-DD"; the API wants RFC 3339 times (to = the end of that day). */
export function apiQuery(f: Filter): Record<string, string> {
  const q: Record<string, string> = { ...f };
  if (f.from) q.from = new Date(`${f.from}T00:00:00`).toISOString();
  if (f.to) q.to = new Date(new Date(`${f.to}T00:00:00`).getTime() + 86400000).toISOString();
  return q;
}

export function ConversationsPage() {
  const { session } = useSession();
  const { query } = useLocation();
  const current = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Filter;
  const [form, setForm] = useState<Filter>(current);
  const key = JSON.stringify(current);
  useEffect(() => setForm(current), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  const sites = useAsync((signal) => get<List<Site>>('/sites', undefined, signal), []);
  const [extra, setExtra] = useState<{ items: Conversation[]; cursor: string | null | undefined; scan?: ConversationList['scan']; error?: unknown }>({
    items: [],
    cursor: undefined,
  });
  const first = useAsync(
    (signal) => get<ConversationList>('/conversations', { ...apiQuery(current), limit: 50 }, signal),
    [key],
  );
  const scan = extra.scan ?? first.data?.scan;
  useEffect(() => setExtra({ items: [], cursor: undefined }), [key]);
  const cursor = extra.cursor === undefined ? first.data?.next_cursor || null : extra.cursor;
  const items = [...(first.data?.items ?? []), ...extra.items];

  const apply = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/admin/conversations${queryString(form)}`);
  };
  const more = async () => {
    try {
      const page = await get<ConversationList>('/conversations', { ...apiQuery(current), limit: 50, cursor });
      setExtra((x) => ({ items: [...x.items, ...page.items], cursor: page.next_cursor || null, scan: page.scan }));
    } catch (error) {
      setExtra((x) => ({ ...x, error }));
    }
  };
  const set = (k: keyof Filter) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));
  const exportHref = (format: string) => `${API}/conversations/export${queryString({ format, ...apiQuery(current) })}`;

  return (
    <>
      <PageHeader title="Conversations">
        {can(session.account).exportConversations && (
          <>
            <a className="button secondary" href={exportHref('csv')} download>
              Export CSV
            </a>
            <a className="button secondary" href={exportHref('jsonl')} download>
              Export JSONL
            </a>
          </>
        )}
      </PageHeader>
      <form className="filters" onSubmit={apply} aria-label="Filter conversations">
        <label>
          Site
          <select value={form.site} onChange={set('site')}>
            <option value="">All sites</option>
            {(sites.data?.items ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name ? `${s.name} (${s.id})` : s.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={form.from} onChange={set('from')} />
        </label>
        <label>
          To
          <input type="date" value={form.to} onChange={set('to')} />
        </label>
        <label>
          Status
          <select value={form.status} onChange={set('status')}>
            {STATUSES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Visitor
          <select value={form.returning} onChange={set('returning')}>
            <option value="">Any</option>
            <option value="true">Returning</option>
            <option value="false">New</option>
          </select>
        </label>
        <label>
          Country
          <input value={form.country} onChange={(e) => setForm((f) => ({ ...f, country: e.target.value.toUpperCase() }))} placeholder="DE" maxLength={2} size={3} />
        </label>
        <label>
          Page contains
          <input value={form.page} onChange={set('page')} />
        </label>
        <label className="grow">
          Text contains <span className="hint">(within 31 days)</span>
          <input type="search" value={form.q} onChange={set('q')} />
        </label>
        <button className="button" type="submit">
          Apply
        </button>
      </form>
      <ErrorNote error={first.error} />
      {first.loading && !first.data ? (
        <Loading label="Loading conversations…" />
      ) : items.length === 0 && !first.error ? (
        <Empty>
          <p>No conversations match.</p>
        </Empty>
      ) : (
        items.length > 0 && (
          <div className="table-wrap" role="region" aria-label="Conversations" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Site</th>
                  <th scope="col">First message</th>
                  <th scope="col">Messages</th>
                  <th scope="col">Status</th>
                  <th scope="col">Visitor</th>
                  <th scope="col">Country</th>
                </tr>
              </thead>
              <tbody>
                {items.map((c) => (
                  <tr key={c.session_id}>
                    <td>
                      <Link to={`/admin/conversations/${encodeURIComponent(c.session_id)}`}>
                        <Time at={c.started_at} />
                      </Link>
                    </td>
                    <td className="mono">{c.site_id}</td>
                    <td className="preview-cell">{c.preview}</td>
                    <td className="num">{c.messages}</td>
                    <td>
                      <span className={`badge status-${c.status}`}>{c.status}</span>
                    </td>
                    <td>{c.returning ? 'Returning' : 'New'}</td>
                    <td>{c.country || '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <ErrorNote error={extra.error} />
      {scan?.stopped && (
        <p className="notice" role="status">
          The search read {scan.conversations} conversations ({scan.messages} messages) and stopped there. Load more to search on.
        </p>
      )}
      {cursor && (
        <button type="button" className="button secondary" onClick={() => void more()}>
          Load more
        </button>
      )}
    </>
  );
}
