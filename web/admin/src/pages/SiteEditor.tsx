// Create or edit a site, with the widget's live preview of the unsaved draft. Saving an
// existing site sends the whole draft as a merge patch with If-Match, so a concurrent change
// answers 412 instead of being overwritten.

import { useMemo, useState, type FormEvent } from 'react';
import { del, patch, post, request, seg } from '../api/client';
import type { Site, SiteWithSecret } from '../api/types';
import { Link, navigate } from '../router';
import { holdSecret } from '../secrets';
import { can, useSession } from '../session';
import { Field, setPath } from '../ui/fields';
import { ErrorNote, Loading, Notice, PageHeader, useAsync } from '../ui/kit';
import { WidgetPreview } from '../ui/Preview';
import { algorithmField, idField, prune, sections } from './siteForm';

const NEW_SITE: Site = { id: '', name: '', allowed_origins: [], n8n_webhook_url: '', signing: { algorithm: 'HS256' }, widget: {} };

export function SiteEditorPage({ id }: { id?: string }) {
  const [saved, setSaved] = useState('');
  const loaded = useAsync(
    async (signal) => {
      if (!id) return { site: NEW_SITE, etag: '' };
      const a = await request<Site>('GET', `/sites/${seg(id)}`, { signal });
      return { site: a.data, etag: a.etag };
    },
    [id],
  );
  if (loaded.error) {
    return (
      <>
        <PageHeader title="Site" />
        <ErrorNote error={loaded.error} />
      </>
    );
  }
  if (!loaded.data) return <Loading label="Loading the site…" />;
  // A save reloads the site and remounts the editor on its new version: the notice lives here.
  return (
    <Editor
      key={loaded.data.etag}
      initial={loaded.data.site}
      etag={loaded.data.etag}
      isNew={!id}
      saved={saved}
      onSaved={(note) => {
        setSaved(note);
        loaded.reload();
      }}
    />
  );
}

interface EditorProps {
  initial: Site;
  etag: string;
  isNew: boolean;
  saved: string;
  onSaved: (note: string) => void;
}

function Editor({ initial, etag, isNew, saved, onSaved }: EditorProps) {
  const { session } = useSession();
  const c = can(session.account);
  const [draft, setDraft] = useState<Site>(initial);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fileSite = initial.managed_by === 'file';
  const editable = isNew ? c.createSite : c.editSite(initial.id) && !fileSite;
  const dirty = useMemo(() => JSON.stringify(draft) !== JSON.stringify(initial), [draft, initial]);
  const title = isNew ? 'New site' : initial.name || initial.id;
  const json = draft as unknown as Record<string, unknown>;

  const onChange = (path: string, value: unknown) => {
    setDraft((d) => setPathSite(d, path, value));
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (isNew) {
        const a = await post<SiteWithSecret>('/sites', prune(draft));
        if (a.secret) holdSecret(a.site.id, a.secret);
        navigate(`/admin/sites/${encodeURIComponent(a.site.id)}/install`);
        return;
      }
      await patch<Site>(`/sites/${seg(initial.id)}`, draft, { ifMatch: etag });
      onSaved('Saved. Every replica uses it within 2 seconds.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const setDisabled = async (disabled: boolean) => {
    setError(null);
    try {
      await patch<Site>(`/sites/${seg(initial.id)}`, { disabled }, { ifMatch: etag });
      onSaved(disabled ? 'Disabled: its visitors are refused at once.' : 'Enabled.');
    } catch (err) {
      setError(err);
    }
  };

  const remove = async () => {
    if (!window.confirm(`Delete site ${initial.id} with all its conversations? This cannot be undone.`)) return;
    try {
      await del(`/sites/${seg(initial.id)}`, undefined, { ifMatch: etag });
      navigate('/admin/sites');
    } catch (err) {
      setError(err);
    }
  };

  return (
    <>
      <PageHeader title={title}>
        {!isNew && (
          <Link className="button secondary" to={`/admin/sites/${encodeURIComponent(initial.id)}/install`}>
            Install
          </Link>
        )}
      </PageHeader>
      {!isNew && (
        <p className="meta">
          <span className="mono">{initial.id}</span> · version {initial.version} ·{' '}
          <span className={initial.disabled ? 'badge off' : 'badge on'}>{initial.disabled ? 'Disabled' : 'Enabled'}</span>
        </p>
      )}
      {fileSite && <Notice>This site comes from the sites file: change the file and restart chatproxy to edit it.</Notice>}
      {!fileSite && !editable && <Notice>Your role can read this site but not change it.</Notice>}
      <div className="editor">
        <form className="editor-form" onSubmit={(e) => void save(e)} aria-label="Site settings">
          <fieldset disabled={!editable || busy} className="plain">
            {isNew && (
              <fieldset>
                <legend>New site</legend>
                <Field def={idField} draft={json} onChange={onChange} />
                <Field def={algorithmField} draft={json} onChange={onChange} />
              </fieldset>
            )}
            {sections.map((sec) => {
              const fields = sec.fields
                .filter((f) => f.path !== 'n8n_webhook_url' || isNew || initial.n8n_webhook_url !== undefined)
                .map((f) => <Field key={f.path} def={f} draft={json} onChange={onChange} />);
              return sec.collapsed ? (
                <details key={sec.title} className="section">
                  <summary>{sec.title}</summary>
                  <fieldset>
                    <legend className="sr">{sec.title}</legend>
                    {fields}
                  </fieldset>
                </details>
              ) : (
                <fieldset key={sec.title}>
                  <legend>{sec.title}</legend>
                  {fields}
                </fieldset>
              );
            })}
          </fieldset>
          <ErrorNote error={error} />
          {saved && !dirty && <Notice>{saved}</Notice>}
          {editable && (
            <div className="form-actions">
              <button type="submit" className="button" disabled={busy || (!isNew && !dirty)}>
                {busy ? 'Saving…' : isNew ? 'Create site' : 'Save changes'}
              </button>
              {!isNew && dirty && (
                <button type="button" className="button secondary" onClick={() => setDraft(initial)}>
                  Discard changes
                </button>
              )}
              {!isNew && (
                <button type="button" className="button secondary" onClick={() => void setDisabled(!initial.disabled)}>
                  {initial.disabled ? 'Enable site' : 'Disable site'}
                </button>
              )}
              {!isNew && c.deleteSite && initial.disabled && (
                <button type="button" className="button danger" onClick={() => void remove()}>
                  Delete site
                </button>
              )}
            </div>
          )}
        </form>
        <WidgetPreview draft={json} />
      </div>
    </>
  );
}

function setPathSite(d: Site, path: string, value: unknown): Site {
  return setPath(d as unknown as Record<string, unknown>, path, value) as unknown as Site;
}

