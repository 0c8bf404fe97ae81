// The console app's entry: loads the session, routes, and draws the shell (skip link,
// navigation, sign-out) around the signed-in pages.

import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError, get, post, setCsrf, setUnauthorizedHandler } from './api/client';
import type { Account, Me } from './api/types';
import { LoginPage, SetupPage } from './pages/Auth';
import { routeFor } from './routes';
import { Link, navigate, useLocation } from './router';
import { can, SessionContext, type Session, type SessionApi } from './session';
import { ErrorNote, Loading } from './ui/kit';
import './styles.css';

type State = { kind: 'loading' } | { kind: 'out' } | { kind: 'in'; session: Session } | { kind: 'error'; error: unknown };

function Shell({ api, children }: { api: SessionApi; children: React.ReactNode }) {
  const { path } = useLocation();
  const c = can(api.session.account);
  const items: Array<[string, string, boolean]> = [
    ['/admin/sites', 'Sites', true],
    ['/admin/conversations', 'Conversations', true],
    ['/admin/audit', 'Audit log', c.readAudit],
    ['/admin/accounts', 'Accounts', c.manageAccounts],
    ['/admin/account', 'Your account', true],
  ];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/admin/sites" className="brand">
          chatproxy
        </Link>
        <nav aria-label="Main">
          <ul>
            {items
              .filter(([, , show]) => show)
              .map(([to, label]) => (
                <li key={to}>
                  <Link to={to} aria-current={path === to || path.startsWith(to + '/') ? 'page' : undefined}>
                    {label}
                  </Link>
                </li>
              ))}
          </ul>
        </nav>
        <div className="whoami">
          <span className="muted" title={api.session.account.role}>
            {api.session.account.email}
          </span>
          <button type="button" className="button secondary small" onClick={() => void api.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const loc = useLocation();

  const load = useCallback(() => {
    get<Me>('/me')
      .then((me) => {
        if (me.csrf_token) setCsrf(me.csrf_token);
        setState({ kind: 'in', session: { account: me.account, via: me.via } });
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) setState({ kind: 'out' });
        else setState({ kind: 'error', error });
      });
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => setState({ kind: 'out' }));
    load();
  }, [load]);

  const signedIn = useCallback((account: Account, csrf: string) => {
    setCsrf(csrf);
    setState({ kind: 'in', session: { account, via: 'cookie' } });
    // Signed in where the session ran out: stay on that page. From setup or login: the sites.
    const here = window.location.pathname.replace(/\/+$/, '');
    if (['/admin', '/admin/login', '/admin/setup'].includes(here)) navigate('/admin/sites', true);
  }, []);

  const signOut = useCallback(async () => {
    try {
      await post('/logout');
    } catch {
      // the session may already be gone: signed out either way
    }
    setCsrf('');
    setState({ kind: 'out' });
    navigate('/admin/login', true);
  }, []);

  if (loc.path === '/admin/setup') return <SetupPage token={loc.query.get('token') ?? ''} onSignedIn={signedIn} />;
  if (state.kind === 'loading') return <main id="main" className="auth"><Loading /></main>;
  if (state.kind === 'error')
    return (
      <main id="main" className="auth">
        <h1>chatproxy console</h1>
        <ErrorNote error={state.error} />
        <button type="button" className="button" onClick={load}>Try again</button>
      </main>
    );
  if (state.kind === 'out') return <LoginPage onSignedIn={signedIn} />;
  if (loc.path === '/admin/login' || loc.path === '/admin') {
    navigate('/admin/sites', true);
    return null;
  }
  const api: SessionApi = { session: state.session, signedIn, signOut, refresh: load };
  return (
    <SessionContext.Provider value={api}>
      <Shell api={api}>{routeFor(loc.path)}</Shell>
    </SessionContext.Provider>
  );
}

const mount = document.getElementById('root');
if (mount)
  createRoot(mount).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
