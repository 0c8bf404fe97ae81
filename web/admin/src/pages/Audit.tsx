// The audit log, newest first, with filters and keyset "Load more". Each entry's diff opens
// in place (secrets arrive already redacted by the server).

import { useState, type FormEvent } from 'react';
import { get } from '../api/client';
import type { AuditEntry, List } from '../api/types';
import { Empty, ErrorNote, Loading, PageHeader, Time, useAsync } from '../ui/kit';

// internal/audit/actions.go
const ACTIONS = [
  'auth.login', 'auth.login_failed', 'auth.logout', 'auth.setup', 'auth.totp_enabled', 'auth.totp_disabled',
  'account.create', 'account.update', 'account.disable', 'account.password', 'token.create', 'token.revoke',
  'site.create', 'site.update', 'site.disable', 'site.delete', 'site.secret_rotate', 'conversation.export', 'conversation.delete',
];

interface Filter {
  action: string;
  result: string;
  site: string;
}

export function AuditPage() {
  const [form, setForm] = useState<Filter>({ action: '', result: '', site: '' });
  const [filter, setFilter] = useState<Filter>(form);
  const [more, setMore] = useState<{ items: AuditEntry[]; cursor?: string | null; error?: unknown }>({ items: [] });
  const first = useAsync((signal) => get<List<AuditEntry>>('/audit', { ...filter, limit: 50 }, signal), [filter]);
  const cursor = more.cursor === undefined ? first.data?.next_cursor : more.cursor;
  const items = [...(first.data?.items ?? []), ...more.items];

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setMore({ items: [] });
    setFilter(form);
  };
  const loadMore = async () => {
    try {
      const page = await get<List<AuditEntry>>('/audit', { ...filter, limit: 50, cursor });
      setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.next_cursor ?? null }));
    } catch (error) {
      setMore((m) => ({ ...m, error }));
    }
  };

  return (
    <>
      <PageHeader title="Audit log" />
      <form className="filters" onSubmit={apply} aria-label="Filter the audit log">
        <label>
          Action
          <select value={form.action} onChange={(e) => setForm({ ...form, action: e.target.value })}>
            <option value="">Any</option>
            {ACTIONS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Result
          <select value={form.result} onChange={(e) => setForm({ ...form, result: e.target.value })}>
            <option value="">Any</option>
            <option value="ok">ok</option>
            <option value="denied">denied</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          Site
          <input value={form.site} onChange={(e) => setForm({ ...form, site: e.target.value })} />
        </label>
        <button className="button" type="submit">
          Apply
        </button>
      </form>
      <ErrorNote error={first.error} />
      {first.loading && !first.data ? (
        <Loading label="Loading the audit log…" />
      ) : items.length === 0 && !first.error ? (
        <Empty>
          <p>No entries match.</p>
        </Empty>
      ) : (
        items.length > 0 && (
          <div className="table-wrap" role="region" aria-label="Audit entries" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Result</th>
                  <th scope="col">Changes</th>
                </tr>
              </thead>
              <tbody>
                {items.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <Time at={e.at} />
                    </td>
                    <td>
                      {e.actor_label}
                      <div className="muted mono">{e.actor_ip}</div>
                    </td>
                    <td className="mono">{e.action}</td>
                    <td>
                      {e.target_type && (
                        <span>
                          {e.target_type} <span className="mono">{e.target_id}</span>
                        </span>
                      )}
                      {e.site_id && <div className="muted">site {e.site_id}</div>}
                    </td>
                    <td>
                      <span className={`badge result-${e.result}`}>{e.result}</span>
                    </td>
                    <td>
                      {e.diff && Object.keys(e.diff).length > 0 ? (
                        <details>
                          <summary>{Object.keys(e.diff).length} field(s)</summary>
                          <pre className="diff">{JSON.stringify(e.diff, null, 2)}</pre>
                        </details>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <ErrorNote error={more.error} />
      {cursor && (
        <button type="button" className="button secondary" onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </>
  );
}
