// The console preview page's entry (/admin/preview, built with the console, framed only by
// the console itself): the widget's own dialog and styles showing the draft the console posts.

import { createRoot } from 'react-dom/client';
import '../app/styles.css';
import { App } from '../app/ui/App';
import { PreviewController } from './controller';
import { parsePreviewMessage, PREVIEW_READY, trustedSender } from './protocol';

const nav = window.navigator;
const controller = new PreviewController(nav.languages?.length ? nav.languages : [nav.language]);

window.addEventListener('message', (e: MessageEvent) => {
  if (!trustedSender(e, window)) return;
  const msg = parsePreviewMessage(e.data);
  if (msg) controller.update(msg.site);
});

const mount = document.getElementById('root');
if (mount) createRoot(mount).render(<App controller={controller} />);
if (window.parent !== window) window.parent.postMessage({ type: PREVIEW_READY }, window.location.origin);
