// What a shop and its n8n need for one site: the embed snippet, the CSP lines for a shop with
// a strict policy, and the n8n JWT credential (with the HS256 secret shown once, right after
// creation or rotation). Secret rotation lives here too.

import { useState } from 'react';
import { post, request, seg } from '../api/client';
import type { Site, SiteWithSecret } from '../api/types';
import { Link } from '../router';
import { holdSecret, takeSecret } from '../secrets';
import { can, useSession } from '../session';
import { CodeBlock, ErrorNote, Loading, Notice, PageHeader, Time, useAsync } from '../ui/kit';
import { embedSnippet, publicOrigin, rememberPublicOrigin, shopCSP } from './install';

export function SiteInstallPage({ id }: { id: string }) {
  const { session } = useSession();
  const [secret] = useState(() => takeSecret(id));
  const [origin, setOrigin] = useState(publicOrigin);
  const site = useAsync((signal) => request<Site>('GET', `/sites/${seg(id)}`, { signal }), [id]);

  if (site.error)
    return (
      <>
        <PageHeader title="Install" />
        <ErrorNote error={site.error} />
      </>
    );
  if (!site.data) return <Loading label="Loading the site…" />;
  const s = site.data.data;
  const mayRotate = can(session.account).editSite(s.id) && s.managed_by !== 'file';
  return (
    <>
      <PageHeader title={`Install ${s.name || s.id}`}>
        <Link className="button secondary" to={`/admin/sites/${encodeURIComponent(s.id)}`}>
          Edit site
        </Link>
      </PageHeader>
      {secret && <SecretBox secret={secret} created />}
      <section className="card" aria-labelledby="snippet-title">
        <h2 id="snippet-title">1. Add the widget to your shop</h2>
        <label className="field">
          chatproxy's public address
          <input
            type="url"
            value={origin}
            placeholder="https://chat.example.com"
            onChange={(e) => {
              setOrigin(e.target.value);
              rememberPublicOrigin(e.target.value);
            }}
          />
          <span className="hint">Where shops load the widget from (CHATPROXY_PUBLIC_URL).</span>
        </label>
        <p>Paste this before the closing &lt;/body&gt; tag of every page that shows the chat:</p>
        <CodeBlock label="Snippet" code={embedSnippet(origin, s.id)} />
        <p>
          The shop's address must be one of the site's origins:{' '}
          {s.allowed_origins.map((o) => (
            <code key={o} className="chip">
              {o}
            </code>
          ))}
        </p>
      </section>
      <section className="card" aria-labelledby="csp-title">
        <h2 id="csp-title">2. If your shop sends a Content-Security-Policy</h2>
        <p>Add chatproxy's address to these three directives (no 'unsafe-inline' is needed):</p>
        <CodeBlock label="CSP lines" copyLabel="Copy CSP lines" code={shopCSP(origin)} />
      </section>
      <N8nSection site={s} origin={origin} />
      {mayRotate && <Rotate site={s} etag={site.data.etag} onDone={site.reload} />}
    </>
  );
}

function SecretBox({ secret, created }: { secret: string; created?: boolean }) {
  return (
    <section className="card secret" aria-labelledby="secret-title">
      <h2 id="secret-title">{created ? 'The site is ready: copy its n8n secret now' : 'The new n8n secret'}</h2>
      <p>It is shown this once. Put it in n8n's JWT Auth credential (Passphrase). Lost it? Rotate the secret below.</p>
      <CodeBlock label="Secret" code={secret} />
    </section>
  );
}

function N8nSection({ site, origin }: { site: Site; origin: string }) {
  const key = site.secret;
  const es = key?.algorithm === 'ES256';
  return (
    <section className="card" aria-labelledby="n8n-title">
      <h2 id="n8n-title">3. Protect the n8n webhook</h2>
      <p>In the n8n Webhook node, set Authentication to JWT Auth and create its credential with:</p>
      <dl className="facts">
        <dt>Key Type</dt>
        <dd>{es ? 'PEM Key' : 'Passphrase'}</dd>
        <dt>{es ? 'Public Key' : 'Secret'}</dt>
        <dd>{es ? 'the public key below' : 'the secret shown when the site was made or its secret last rotated'}</dd>
        <dt>Algorithm</dt>
        <dd>{key?.algorithm ?? site.signing?.algorithm ?? 'HS256'}</dd>
        <dt>Key id (kid)</dt>
        <dd className="mono">{key?.kid ?? site.signing?.kid ?? '—'}</dd>
        {key?.set_at && (
          <>
            <dt>Key made</dt>
            <dd>
              <Time at={key.set_at} />
            </dd>
          </>
        )}
        {key?.previous_kid && (
          <>
            <dt>Previous key</dt>
            <dd>
              <span className="mono">{key.previous_kid}</span> still accepted until <Time at={key.previous_until} />
            </dd>
          </>
        )}
        {site.n8n_webhook_url && (
          <>
            <dt>Webhook URL</dt>
            <dd className="mono break">{site.n8n_webhook_url}</dd>
          </>
        )}
      </dl>
      {es && key?.public_key_pem && <CodeBlock label="Public key" code={key.public_key_pem} />}
      {es && origin && (
        <p>
          The key is also published at <code>{`${origin.replace(/\/+$/, '')}/.well-known/jwks.json`}</code>.
        </p>
      )}
    </section>
  );
}

function Rotate({ site, etag, onDone }: { site: Site; etag: string; onDone: () => void }) {
  const [revoke, setRevoke] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState('');
  const [done, setDone] = useState('');
  const rotate = async () => {
    const warn = revoke
      ? 'Rotate now and stop the old key at once? Chats fail until n8n has the new key.'
      : 'Rotate the secret? The old one keeps working for 24 hours.';
    if (!window.confirm(warn)) return;
    setError(null);
    try {
      const a = await post<SiteWithSecret>(`/sites/${seg(site.id)}/rotate-secret`, { revoke_previous: revoke }, { ifMatch: etag });
      if (a.secret) {
        holdSecret(site.id, a.secret);
        setSecret(takeSecret(site.id));
      }
      setDone(`New key ${a.site.secret?.kid ?? ''} signs from now on.`);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Rotate the n8n key</h2>
      <p>The new key signs at once; the old one stays valid for 24 hours while you update n8n.</p>
      <div className="field check">
        <input type="checkbox" id="revoke" checked={revoke} onChange={(e) => setRevoke(e.target.checked)} />
        <label htmlFor="revoke">Stop the old key at once (after a leak)</label>
      </div>
      <button type="button" className="button secondary" onClick={() => void rotate()}>
        Rotate secret
      </button>
      <ErrorNote error={error} />
      {done && <Notice>{done}</Notice>}
      {secret && <SecretBox secret={secret} />}
    </section>
  );
}
