// Accounts (owners): list, create, change role and scope, disable, reset TOTP. Your account
// (everyone): password, two-factor sign-in, and API tokens (owners also see everyone's).

import { useState, type FormEvent } from 'react';
import { del, get, patch, post, seg } from '../api/client';
import type { Account, ApiToken, List, NewToken, Role, SessionAnswer, TotpStart } from '../api/types';
import { useSession } from '../session';
import { textToLines } from '../ui/fields';
import { CodeBlock, Empty, ErrorNote, Loading, Notice, PageHeader, Time, useAsync } from '../ui/kit';

const scopeText = (a: Account) => (a.all_sites || a.role === 'owner' ? 'All sites' : (a.sites ?? []).join(', ') || 'No site');

export function AccountsPage() {
  const accounts = useAsync((signal) => get<List<Account>>('/accounts', undefined, signal), []);
  const [error, setError] = useState<unknown>(null);
  const change = async (a: Account, body: Partial<Account>) => {
    setError(null);
    try {
      await patch<Account>(`/accounts/${seg(a.id)}`, body);
      accounts.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <PageHeader title="Accounts" />
      <ErrorNote error={accounts.error} />
      <ErrorNote error={error} />
      {accounts.loading && !accounts.data ? (
        <Loading label="Loading accounts…" />
      ) : (
        accounts.data && (
          <div className="table-wrap" role="region" aria-label="Accounts" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Sites</th>
                  <th scope="col">Two-factor</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="sr">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {accounts.data.items.map((a) => (
                  <tr key={a.id}>
                    <td>{a.email}</td>
                    <td>
                      <select aria-label={`Role of ${a.email}`} value={a.role} onChange={(e) => void change(a, { role: e.target.value as Role })}>
                        <option value="owner">owner</option>
                        <option value="admin">admin</option>
                        <option value="viewer">viewer</option>
                      </select>
                    </td>
                    <td>{scopeText(a)}</td>
                    <td>{a.totp_enabled ? 'On' : 'Off'}</td>
                    <td>
                      <span className={a.disabled ? 'badge off' : 'badge on'}>{a.disabled ? 'Disabled' : 'Active'}</span>
                    </td>
                    <td className="actions">
                      <button type="button" className="button secondary small" onClick={() => void change(a, { disabled: !a.disabled })}>
                        {a.disabled ? 'Enable' : 'Disable'}
                      </button>
                      {a.totp_enabled && (
                        <button type="button" className="button secondary small" onClick={() => void change(a, { totp_enabled: false })}>
                          Reset two-factor
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      <NewAccount onCreated={accounts.reload} />
      <Tokens everyone />
    </>
  );
}

function NewAccount({ onCreated }: { onCreated: () => void }) {
  const [form, setForm] = useState({ email: '', password: '', role: 'viewer' as Role, sites: '' });
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone('');
    try {
      const sites = textToLines(form.sites.replace(/,/g, '\n'));
      const a = await post<Account>('/accounts', { email: form.email, password: form.password, role: form.role, sites: sites.length ? sites : null });
      setDone(`Account ${a.email} created.`);
      setForm({ email: '', password: '', role: 'viewer', sites: '' });
      onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card form-grid" onSubmit={(e) => void submit(e)} aria-labelledby="new-account-title">
      <h2 id="new-account-title">Add an account</h2>
      <label>
        Email
        <input type="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
      </label>
      <label>
        Password <span className="hint">(at least 12 characters)</span>
        <input type="password" autoComplete="new-password" required minLength={12} value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
      </label>
      <label>
        Role
        <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
          <option value="viewer">viewer: reads its sites' conversations and settings</option>
          <option value="admin">admin: edits its sites</option>
          <option value="owner">owner: everything</option>
        </select>
      </label>
      <label>
        Sites <span className="hint">(comma-separated ids; empty = every site)</span>
        <input value={form.sites} onChange={(e) => setForm({ ...form, sites: e.target.value })} />
      </label>
      <ErrorNote error={error} />
      {done && <Notice>{done}</Notice>}
      <button className="button" type="submit">
        Add account
      </button>
    </form>
  );
}

export function AccountPage() {
  const { session } = useSession();
  return (
    <>
      <PageHeader title="Your account" />
      <p className="meta">
        {session.account.email} · {session.account.role} · {scopeText(session.account)}
      </p>
      <Password />
      <TwoFactor />
      <Tokens />
    </>
  );
}

function Password() {
  const { signedIn } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const a = await post<SessionAnswer | undefined>('/me/password', { current_password: current, new_password: next });
      if (a) signedIn(a.account, a.csrf_token);
      setCurrent('');
      setNext('');
      setDone('Password changed. Your other sessions have ended.');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form className="card form-grid" onSubmit={(e) => void submit(e)} aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <label>
        Current password
        <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label>
        New password <span className="hint">(at least 12 characters)</span>
        <input type="password" autoComplete="new-password" required minLength={12} value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <ErrorNote error={error} />
      {done && <Notice>{done}</Notice>}
      <button className="button" type="submit">
        Change password
      </button>
    </form>
  );
}

function TwoFactor() {
  const { session, refresh } = useSession();
  const [pending, setPending] = useState<TotpStart | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const on = session.account.totp_enabled;
  const start = async () => {
    setError(null);
    try {
      setPending(await post<TotpStart>('/me/totp'));
    } catch (err) {
      setError(err);
    }
  };
  const finish = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      if (on) await del<Account>('/me/totp', { code: code.replace(/\s+/g, '') });
      else await post<Account>('/me/totp/confirm', { code: code.replace(/\s+/g, '') });
      setPending(null);
      setCode('');
      refresh();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-labelledby="totp-title">
      <h2 id="totp-title">Two-factor sign-in</h2>
      <p>{on ? 'On: sign-in asks for a code from your authenticator app.' : 'Off: sign-in asks for your password only.'}</p>
      {!on && !pending && (
        <button type="button" className="button secondary" onClick={() => void start()}>
          Turn on
        </button>
      )}
      {pending && (
        <>
          <p>Add this key to your authenticator app (or open the link on your phone), then enter the code it shows.</p>
          <CodeBlock label="Key" code={pending.secret} />
          <p className="break mono small">
            <a href={pending.otpauth_uri}>{pending.otpauth_uri}</a>
          </p>
        </>
      )}
      {(pending || on) && (
        <form className="inline-form" onSubmit={(e) => void finish(e)}>
          <label>
            {on ? 'Code, to turn it off' : 'Code'}
            <input inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,8}" required value={code} onChange={(e) => setCode(e.target.value)} />
          </label>
          <button className="button secondary" type="submit">
            {on ? 'Turn off' : 'Confirm'}
          </button>
        </form>
      )}
      <ErrorNote error={error} />
    </section>
  );
}

function Tokens({ everyone = false }: { everyone?: boolean }) {
  const tokens = useAsync((signal) => get<List<ApiToken>>('/tokens', everyone ? { account_id: '*' } : undefined, signal), [everyone]);
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('30d');
  const [made, setMade] = useState('');
  const [error, setError] = useState<unknown>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const t = await post<NewToken>('/tokens', { name, ...(expires ? { expires } : {}) });
      setMade(t.token);
      setName('');
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (t: ApiToken) => {
    if (!window.confirm(`Revoke token ${t.name}? Scripts using it stop at once.`)) return;
    try {
      await del(`/tokens/${seg(t.id)}`);
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const live = (tokens.data?.items ?? []).filter((t) => !t.revoked_at);
  return (
    <section className="card" aria-labelledby={everyone ? 'all-tokens-title' : 'tokens-title'}>
      <h2 id={everyone ? 'all-tokens-title' : 'tokens-title'}>{everyone ? "Everyone's API tokens" : 'Your API tokens'}</h2>
      <ErrorNote error={tokens.error} />
      {tokens.loading && !tokens.data ? (
        <Loading label="Loading tokens…" />
      ) : live.length === 0 ? (
        <Empty>
          <p>No active tokens.</p>
        </Empty>
      ) : (
        <div className="table-wrap" role="region" aria-label="API tokens" tabIndex={0}>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                {everyone && <th scope="col">Account</th>}
                <th scope="col">Made</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="sr">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {live.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  {everyone && <td className="mono">{t.account_id}</td>}
                  <td>
                    <Time at={t.created_at} />
                  </td>
                  <td>{t.expires_at ? <Time at={t.expires_at} /> : 'Never'}</td>
                  <td>
                    <Time at={t.last_used_at} />
                  </td>
                  <td className="actions">
                    <button type="button" className="button secondary small" onClick={() => void revoke(t)} aria-label={`Revoke ${t.name}`}>
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!everyone && (
        <form className="inline-form" onSubmit={(e) => void create(e)}>
          <label>
            Token name
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Expires after
            <select value={expires} onChange={(e) => setExpires(e.target.value)}>
              <option value="1d">1 day</option>
              <option value="30d">30 days</option>
              <option value="90d">90 days</option>
              <option value="365d">1 year</option>
              <option value="">Never</option>
            </select>
          </label>
          <button className="button secondary" type="submit">
            Create token
          </button>
        </form>
      )}
      <ErrorNote error={error} />
      {made && (
        <div className="secret">
          <p>Copy the token now: it is shown this once. Send it as Authorization: Bearer …</p>
          <CodeBlock label="API token" code={made} />
        </div>
      )}
    </section>
  );
}
