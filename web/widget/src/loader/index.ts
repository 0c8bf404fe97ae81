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
  /** Records an analytics event (built-ins: add_to_cart {sku, value, currency}, purchase {order_id, value, currency}). */
  track(name: string, props?: Record<string, unknown>): void;
  /** The shop's cookie banner: true accepts storing the chat, false withdraws (docs/privacy.md). */
  consent(granted: boolean): void;
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
    track: (name, props) => widget.track(name, props),
    consent: (granted) => widget.consent(granted),
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
