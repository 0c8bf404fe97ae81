// Every site in the caller's scope: console sites and read-only file sites.

import { get } from '../api/client';
import type { List, Site } from '../api/types';
import { Link } from '../router';
import { can, useSession } from '../session';
import { Empty, ErrorNote, Loading, PageHeader, Time, useAsync } from '../ui/kit';

export function SitesPage() {
  const { session } = useSession();
  const c = can(session.account);
  const sites = useAsync((signal) => get<List<Site>>('/sites', undefined, signal), []);
  return (
    <>
      <PageHeader title="Sites">
        {c.createSite && (
          <Link className="button" to="/admin/sites/new">
            New site
          </Link>
        )}
      </PageHeader>
      <ErrorNote error={sites.error} />
      {sites.loading && !sites.data ? (
        <Loading label="Loading sites…" />
      ) : sites.data && sites.data.items.length === 0 ? (
        <Empty>
          <p>No sites yet.</p>
          {c.createSite && <p>Create one to get the snippet for your shop.</p>}
        </Empty>
      ) : (
        sites.data && (
          <div className="table-wrap" role="region" aria-label="Sites" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Site</th>
                  <th scope="col">Origins</th>
                  <th scope="col">Managed by</th>
                  <th scope="col">Status</th>
                  <th scope="col">Updated</th>
                  <th scope="col">
                    <span className="sr">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {sites.data.items.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Link to={`/admin/sites/${encodeURIComponent(s.id)}`} className="strong">
                        {s.name || s.id}
                      </Link>
                      <div className="muted mono">{s.id}</div>
                    </td>
                    <td className="origins">{s.allowed_origins.join(', ')}</td>
                    <td>{s.managed_by === 'file' ? 'Sites file (read-only)' : 'Console'}</td>
                    <td>
                      <span className={s.disabled ? 'badge off' : 'badge on'}>{s.disabled ? 'Disabled' : 'Enabled'}</span>
                    </td>
                    <td>
                      <Time at={s.updated_at} />
                    </td>
                    <td className="actions">
                      <Link to={`/admin/sites/${encodeURIComponent(s.id)}/install`} aria-label={`Install ${s.name || s.id}`}>
                        Install
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </>
  );
}
