// First run (the setup link's page) and sign-in with an optional TOTP code.

import { useState, type FormEvent } from 'react';
import { ApiError, describe, post } from '../api/client';
import type { Account, SessionAnswer } from '../api/types';
import { PageHeader } from '../ui/kit';

interface Props {
  onSignedIn: (account: Account, csrf: string) => void;
}

const MIN_PASSWORD = 12;

export function SetupPage({ token, onSignedIn }: Props & { token: string }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    if (password !== confirm) return setError('The two passwords differ.');
    if ([...password].length < MIN_PASSWORD) return setError(`A password has at least ${MIN_PASSWORD} characters.`);
    setBusy(true);
    try {
      const a = await post<SessionAnswer>('/setup', { token, email, password }, { anonymous: true });
      onSignedIn(a.account, a.csrf_token);
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'setup_invalid'
          ? 'This setup link is not valid any more (used, expired, or an account exists). Sign in, or restart chatproxy for a new link.'
          : describe(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="auth">
      <form className="card auth-card" onSubmit={(e) => void submit(e)} aria-describedby="setup-intro">
        <PageHeader title="Set up chatproxy" />
        <p id="setup-intro">Create the owner account. This link works once and for one hour.</p>
        {!token && (
          <p className="error-note" role="alert">
            This page needs the setup link from chatproxy's start-up log.
          </p>
        )}
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password <span className="hint">(at least {MIN_PASSWORD} characters)</span>
          <input type="password" autoComplete="new-password" required minLength={MIN_PASSWORD} value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label>
          Password again
          <input type="password" autoComplete="new-password" required value={confirm} onChange={(e) => setConfirm(e.target.value)} />
        </label>
        {error && (
          <p className="error-note" role="alert">
            {error}
          </p>
        )}
        <button className="button" type="submit" disabled={busy || !token}>
          {busy ? 'Creating…' : 'Create owner account'}
        </button>
      </form>
    </main>
  );
}

export function LoginPage({ onSignedIn }: Props) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needTotp, setNeedTotp] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      const body: Record<string, string> = { email, password };
      if (needTotp) body.totp = totp.replace(/\s+/g, '');
      const a = await post<SessionAnswer>('/login', body, { anonymous: true });
      onSignedIn(a.account, a.csrf_token);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'totp_required') {
        setNeedTotp(true);
        setError(needTotp ? 'Enter the 6-digit code from your authenticator app.' : '');
      } else if (err instanceof ApiError && err.code === 'invalid_credentials') {
        setError(needTotp ? 'Wrong email, password or code.' : 'Wrong email or password.');
      } else setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="auth">
      <form className="card auth-card" onSubmit={(e) => void submit(e)}>
        <PageHeader title="Sign in to chatproxy" />
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {needTotp && (
          <label>
            Authentication code
            <input
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9 ]{6,8}"
              required
              autoFocus
              value={totp}
              onChange={(e) => setTotp(e.target.value)}
            />
          </label>
        )}
        {error && (
          <p className="error-note" role="alert">
            {error}
          </p>
        )}
        <button className="button" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
