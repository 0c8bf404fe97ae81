// embed.js entry: one <script src="https://chat.example/embed.js" data-site-id="shop" async>
// on a shop page. Loading it twice (or again after an SPA navigation) keeps exactly one
// widget: the second run only re-attaches the first one.

import { findScript, readOptions } from './options';
import { createWidget, type EventName } from './widget';

export interface ChatProxyApi {
  readonly version: string;
  open(): void;
  close(): void;
  toggle(): void;
  sendMessage(text: string): void;
  setContext(context: Record<string, unknown>): void;
<<<<<<< HEAD
  /** Records an analytics event (built-ins: add_to_cart {sku, value, currency}, purchase {order_id, value, currency}). */
  track(name: string, props?: Record<string, unknown>): void;
=======
  /** The shop's cookie banner: true accepts storing the chat, false withdraws (docs/privacy.md). */
  consent(granted: boolean): void;
>>>>>>> e207749 (Widget privacy: notice with policy link before the first message, opt_in prompt (nothing stored, created or sent before consent), ChatProxy.consent(true|false) through the loader (withdrawal stops analytics and forgets an opt_in session), menu with Download/Delete my conversation and a confirmation; fingerprint only on identify: fingerprint sites after consent; Chromium e2e reading cookies, both storages, the SQLite database and n8n's calls)
  on(event: EventName, fn: (payload?: unknown) => void): () => void;
  destroy(): void;
  /** Internal: lets a second copy of embed.js re-attach the first instead of making another. */
  readonly __attach: () => void;
}

type Host = Window & { ChatProxy?: Partial<ChatProxyApi>; ChatProxyConfig?: unknown };

function boot(win: Host): void {
  const existing = win.ChatProxy;
  if (existing && typeof existing.__attach === 'function') {
    existing.__attach();
    return;
  }
  const opts = readOptions(findScript(win.document), win.ChatProxyConfig);
  if (!opts) return;
  const widget = createWidget(opts, win);
  const api: ChatProxyApi = {
    version: '1',
    open: () => widget.open(),
    close: () => widget.close(),
    toggle: () => widget.toggle(),
    sendMessage: (text) => widget.sendMessage(text),
    setContext: (context) => widget.setContext(context),
<<<<<<< HEAD
    track: (name, props) => widget.track(name, props),
=======
    consent: (granted) => widget.consent(granted),
>>>>>>> e207749 (Widget privacy: notice with policy link before the first message, opt_in prompt (nothing stored, created or sent before consent), ChatProxy.consent(true|false) through the loader (withdrawal stops analytics and forgets an opt_in session), menu with Download/Delete my conversation and a confirmation; fingerprint only on identify: fingerprint sites after consent; Chromium e2e reading cookies, both storages, the SQLite database and n8n's calls)
    on: (event, fn) => widget.on(event, fn),
    destroy: () => {
      widget.destroy();
      if (win.ChatProxy === api) delete win.ChatProxy;
    },
    __attach: () => widget.attach(),
  };
  win.ChatProxy = api;
  const start = () => widget.mount();
  if (win.document.body) start();
  else win.document.addEventListener('DOMContentLoaded', start, { once: true });
}

boot(window as Host);
