// The live preview: the widget's own dialog in an iframe (/admin/preview, same origin, the
// only console page that may be framed, and only by the console). The draft goes over
// postMessage with this origin as the exact target; the frame's "ready" is read only from
// that frame and this origin.

import { useEffect, useRef, useState } from 'react';

export function WidgetPreview({ draft }: { draft: Record<string, unknown> }) {
  const frame = useRef<HTMLIFrameElement>(null);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    const onMessage = (e: MessageEvent) => {
      const data = e.data as { type?: unknown } | null;
      if (e.origin !== window.location.origin || e.source !== frame.current?.contentWindow) return;
      if (data && data.type === 'chatproxy:preview-ready') setReady(true);
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, []);

  useEffect(() => {
    if (!ready) return;
    frame.current?.contentWindow?.postMessage({ type: 'chatproxy:preview', site: draft }, window.location.origin);
  }, [ready, draft]);

  return (
    <section className="preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Live preview</h2>
      <p className="hint">The widget as visitors will see it, with your unsaved changes.</p>
      <iframe ref={frame} src="/admin/preview" title="Widget preview" className="preview-frame" />
    </section>
  );
}
