// The signed-in pages by path. Conversations and the transcript are split into their own
// chunk (with the widget's Markdown renderer) so the first load stays small.

import { lazy, Suspense } from 'react';
import { match } from './router';
import { AccountPage, AccountsPage } from './pages/Accounts';
import { AuditPage } from './pages/Audit';
import { SiteEditorPage } from './pages/SiteEditor';
import { SiteInstallPage } from './pages/SiteInstall';
import { SitesPage } from './pages/Sites';
import { Empty, Loading, PageHeader } from './ui/kit';
import { Link } from './router';

const ConversationsPage = lazy(() => import('./pages/Conversations').then((m) => ({ default: m.ConversationsPage })));
const TranscriptPage = lazy(() => import('./pages/Transcript').then((m) => ({ default: m.TranscriptPage })));

export function routeFor(path: string) {
  let p: Record<string, string> | null;
  if (path === '/admin/sites') return <SitesPage />;
  if (path === '/admin/sites/new') return <SiteEditorPage key="new" />;
  if ((p = match('/admin/sites/:id/install', path))) return <SiteInstallPage key={p.id} id={p.id ?? ''} />;
  if ((p = match('/admin/sites/:id', path))) return <SiteEditorPage key={p.id} id={p.id} />;
  if (path === '/admin/conversations')
    return (
      <Suspense fallback={<Loading />}>
        <ConversationsPage />
      </Suspense>
    );
  if ((p = match('/admin/conversations/:id', path)))
    return (
      <Suspense fallback={<Loading />}>
        <TranscriptPage key={p.id} id={p.id ?? ''} />
      </Suspense>
    );
  if (path === '/admin/audit') return <AuditPage />;
  if (path === '/admin/accounts') return <AccountsPage />;
  if (path === '/admin/account') return <AccountPage />;
  return (
    <>
      <PageHeader title="Page not found" />
      <Empty>
        <p>
          Nothing here. Go to <Link to="/admin/sites">Sites</Link>.
        </p>
      </Empty>
    </>
  );
}
