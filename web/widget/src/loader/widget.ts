// The loader's widget: a launcher button drawn on the host page and the chat iframe, created
// lazily on first open (or when idle with data-preload). It keeps itself attached across
// Turbo/Astro/SPA navigations, hides on configured paths, relays the iframe's storage requests
// to the host's first-party localStorage and backs the public window.ChatProxy API.
// Written as one closure rather than a class so the minifier can shorten every internal name:
// the loader's budget is 5 KB gzipped.

import { parseFrameMessage, type HostMessage } from '../shared/protocol';
import { css, el, icon, loaderTexts, safeColor } from './dom';
import { pathHidden, type LoaderOptions, type Side } from './options';

export type EventName = 'open' | 'close' | 'message' | 'unread';
export type Handler = (payload?: unknown) => void;

export interface WidgetHandle {
  mount(): void;
  attach(): void;
  open(): void;
  close(returnFocus?: boolean): void;
  toggle(): void;
  sendMessage(text: string): void;
  setContext(context: unknown): void;
  track(name: string, props?: unknown): void;
  consent(granted: unknown): void;
  on(event: EventName, fn: Handler): () => void;
  destroy(): void;
}

const LAUNCHER = 56;
const GAP = 16;

export function createWidget(opts: LoaderOptions, win: Window): WidgetHandle {
  const doc = win.document;
  const texts = loaderTexts(opts.lang, win.navigator);
  const mobile = win.matchMedia('(max-width: 640px)');
  const reduceMotion = win.matchMedia('(prefers-reduced-motion: reduce)').matches;
  const root = el(doc, 'div', { id: 'chatproxy-root', 'data-turbo-permanent': '', 'data-chatproxy': '' });
  const launcher = el(doc, 'button', { type: 'button', 'aria-haspopup': 'dialog' });
  const badge = el(doc, 'span', { 'aria-hidden': 'true' });
  const handlers: Partial<Record<EventName, Handler[]>> = {};
  const cleanups: Array<() => void> = [];
  let theme = { color: '#4f46e5', text: '#fff', side: (opts.position || 'right') as Side, icon: 'chat' };
  let frame: HTMLIFrameElement | null = null;
  let ready = false;
  let pending: HostMessage[] = [];
  let opened = false;
  let unread = 0;
  let context: Record<string, unknown> | null = null;
  let observer: MutationObserver | null = null;
  let savedOverflow: string | null = null;
  let lastHref = '';
  // Analytics events for POST /api/v1/events, sent in batches of up to 50 with sendBeacon
  // (a second after the first, or when the page is hidden): never blocking the page.
  let queue: Array<{ name: string; props?: unknown; at: string }> = [];
  let flushTimer = 0;
  let visitor = '';
  let consent: boolean | null = null;
  // The site asks consent first (opt_in): no analytics event leaves the page before it.
  let optIn = false;

  const hidden = () => pathHidden(win.location.pathname, opts.hideOn);
  const px = (n: number) => n + 'px';

  function emit(event: EventName, payload?: unknown): void {
    for (const fn of (handlers[event] || []).slice()) {
      try {
        fn(payload);
      } catch (err) {
        win.setTimeout(() => {
          throw err;
        });
      }
    }
  }

  function post(msg: HostMessage): void {
    const target = frame && ready && frame.contentWindow;
    // Before "ready" only sends need queueing: everything else is replayed from state in onReady().
    if (target) target.postMessage(msg, opts.origin);
    else if (msg.type === 'chatproxy:send') pending.push(msg);
  }

  function sendPage(): void {
    lastHref = win.location.href;
    post({ type: 'chatproxy:page', url: lastHref, mobile: mobile.matches });
  }

  /** Applies theme, texts and unread count to the launcher. */
  function paint(): void {
    const side = theme.side;
    css(launcher, {
      background: theme.color, color: theme.text, zIndex: String(opts.zIndex), bottom: px(opts.offsetY),
      left: side === 'left' ? px(opts.offsetX) : 'auto', right: side === 'right' ? px(opts.offsetX) : 'auto',
    });
    launcher.textContent = '';
    launcher.appendChild(icon(doc, opened ? 'close' : theme.icon, 28));
    launcher.appendChild(badge);
    const label = opened ? texts.close : texts.open;
    launcher.setAttribute('aria-label', unread > 0 ? `${label} (${unread} ${texts.unread})` : label);
    launcher.setAttribute('aria-expanded', String(opened));
    badge.textContent = unread > 9 ? '9+' : String(unread);
    css(badge, { display: unread > 0 && !opened ? 'block' : 'none' });
  }

  function lockScroll(lock: boolean): void {
    const style = doc.documentElement.style;
    if (lock && savedOverflow === null) {
      savedOverflow = style.overflow;
      style.overflow = 'hidden';
    } else if (!lock && savedOverflow !== null) {
      style.overflow = savedOverflow;
      savedOverflow = null;
    }
  }

  /** Positions launcher and frame for the current state and screen size. */
  function layout(): void {
    paint();
    const small = mobile.matches;
    css(launcher, { display: opened && small ? 'none' : 'flex' });
    lockScroll(opened && small);
    if (!frame) return;
    if (!opened) {
      css(frame, { display: 'none' });
      return;
    }
    const side = theme.side;
    const vv = win.visualViewport;
    const bottom = opts.offsetY + LAUNCHER + GAP;
    css(
      frame,
      small
        ? {
            // Full-screen sheet; follows the visual viewport so the on-screen keyboard never covers the input.
            top: px(vv ? vv.offsetTop : 0), left: '0', right: 'auto', bottom: 'auto', width: '100%',
            height: vv ? px(vv.height) : '100%', maxWidth: 'none', borderRadius: '0', boxShadow: 'none',
          }
        : {
            top: 'auto', bottom: px(bottom), left: side === 'left' ? px(opts.offsetX) : 'auto',
            right: side === 'right' ? px(opts.offsetX) : 'auto', width: '380px',
            height: `min(640px, calc(100vh - ${bottom + 20}px))`, maxWidth: `calc(100vw - ${2 * opts.offsetX}px)`,
            borderRadius: '16px', boxShadow: '0 12px 48px rgba(0,0,0,.28)',
          },
    );
    css(frame, { display: 'block', zIndex: String(opts.zIndex) });
  }

  function setUnread(count: number): void {
    const next = opened ? 0 : count;
    const changed = next !== unread;
    unread = next;
    paint();
    if (changed) emit('unread', unread);
  }

  function ensureFrame(): HTMLIFrameElement {
    if (frame) return frame;
    const q = (v: string) => encodeURIComponent(v);
    frame = el(doc, 'iframe', {
      src: `${opts.origin}/widget/?site=${q(opts.siteId)}&host=${q(win.location.origin)}&lang=${q(opts.lang)}`,
      title: texts.frame,
      id: 'chatproxy-frame',
      referrerpolicy: 'origin',
      sandbox: 'allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads',
    }, {
      position: 'fixed', border: '0', margin: '0', padding: '0', background: '#fff', colorScheme: 'normal',
      display: 'none', boxSizing: 'border-box',
    });
    ready = false;
    root.appendChild(frame);
    layout();
    return frame;
  }

  function fetchTheme(): void {
    const reveal = () => css(launcher, { opacity: '1' });
    const timer = win.setTimeout(reveal, 1500);
    fetch(`${opts.origin}/api/v1/sites/${encodeURIComponent(opts.siteId)}/config`, { credentials: 'omit' })
      .then((r) => (r.ok ? r.json() : null))
      .then((cfg: Record<string, Record<string, unknown> | undefined> | null) => {
        // Counted only where no consent must come first (opt_in sites store nothing before it).
        optIn = !!cfg && (cfg.consent as unknown) === 'opt_in';
        if (cfg && !optIn) track('widget_loaded');
        const w = (cfg && (cfg.widget || cfg.branding)) || {};
        theme = {
          color: safeColor(w.primary_color) || theme.color,
          text: safeColor(w.text_color) || theme.text,
          side: opts.position || (w.position === 'left' ? 'left' : 'right'),
          icon: typeof w.launcher_icon === 'string' ? w.launcher_icon : 'chat',
        };
        layout();
      })
      .catch(() => undefined)
      .then(() => {
        win.clearTimeout(timer);
        reveal();
      });
  }

  /** Answers the iframe's "ready": hands back stored values and replays the widget state. */
  function onReady(): void {
    ready = true;
    const values: Record<string, string> = {};
    const prefix = storageKey('');
    let ok = true;
    try {
      const ls = win.localStorage;
      for (let i = 0; i < ls.length; i++) {
        const k = ls.key(i) || '';
        const v = k.indexOf(prefix) === 0 ? ls.getItem(k) : null;
        if (v !== null) values[k.slice(prefix.length)] = v;
      }
    } catch {
      ok = false;
    }
    const queued = pending;
    pending = [];
    post({ type: 'chatproxy:restore', ok, values });
    if (consent !== null) post({ type: 'chatproxy:consent', granted: consent });
    sendPage();
    if (context) post({ type: 'chatproxy:context', context });
    if (opened) {
      post({ type: 'chatproxy:open' });
      if (frame) frame.focus();
    }
    queued.forEach(post);
  }

  /** The visitor the iframe announced, else the one of a session kept in host storage (the
   * iframe's fallback); the loader itself never writes host storage for this. */
  function visitorId(): string {
    if (visitor) return visitor;
    try {
      const v = JSON.parse(win.localStorage.getItem(storageKey('session')) || '{}').visitorId;
      return typeof v === 'string' ? v : '';
    } catch {
      return '';
    }
  }

  function flush(): void {
    win.clearTimeout(flushTimer);
    flushTimer = 0;
    if (consent === false || (optIn && consent !== true)) queue = []; // withdrawn, or not given yet
    while (queue.length) {
      const body = JSON.stringify({ site_id: opts.siteId, visitor_id: visitorId() || undefined, events: queue.splice(0, 50) });
      const url = opts.origin + '/api/v1/events';
      const nav = win.navigator;
      // A string body is text/plain: no preflight, which sendBeacon could not do.
      if (!(nav.sendBeacon && nav.sendBeacon(url, body))) {
        fetch(url, { method: 'POST', body, keepalive: true, credentials: 'include', headers: { 'Content-Type': 'text/plain' } }).catch(() => undefined);
      }
    }
  }

  function track(name: string, props?: unknown): void {
    if (typeof name !== 'string' || consent === false) return;
    const ok = typeof props === 'object' && props !== null && !Array.isArray(props);
    queue.push({ name, props: ok ? props : undefined, at: new Date().toISOString() });
    if (queue.length >= 50) flush();
    else if (!flushTimer) flushTimer = win.setTimeout(flush, 1000);
  }

  function storageKey(key: string): string {
    return `chatproxy:${opts.siteId}:${key}`;
  }

  function onMessage(e: MessageEvent): void {
    if (!frame || e.source !== frame.contentWindow || e.origin !== opts.origin) return;
    const msg = parseFrameMessage(e.data);
    if (!msg) return;
    if (msg.type === 'chatproxy:ready') onReady();
    else if (msg.type === 'chatproxy:close') close();
    else if (msg.type === 'chatproxy:unread') setUnread(msg.count);
    else if (msg.type === 'chatproxy:message') emit('message', { role: msg.role, text: msg.text });
    else if (msg.type === 'chatproxy:visitor') visitor = msg.id;
    else if (msg.type === 'chatproxy:store') {
      try {
        const ls = win.localStorage;
        if (msg.value === null) ls.removeItem(storageKey(msg.key));
        else ls.setItem(storageKey(msg.key), msg.value);
      } catch {
        // Host storage refused: the iframe already says "not saved" when restore said ok=false.
      }
    }
  }

  /** Puts the widget back into the page if a navigation removed it, and re-checks hide-on. */
  function attach(): void {
    const body = doc.body;
    if (body && !root.isConnected) {
      ready = false; // re-inserting an iframe reloads it: wait for its next "ready"
      body.appendChild(root);
    }
    if (observer && body) observer.observe(body, { childList: true });
    const hide = hidden();
    if (hide && opened) close(false);
    css(root, { display: hide ? 'none' : 'block' });
    if (win.location.href !== lastHref) sendPage();
  }

  function open(): void {
    if (hidden()) return;
    const existed = !!frame;
    const f = ensureFrame();
    if (opened) return;
    opened = true;
    setUnread(0);
    layout();
    post({ type: 'chatproxy:open' });
    if (existed) f.focus();
    track('widget_opened');
    emit('open');
  }

  function close(returnFocus = true): void {
    if (!opened) return;
    opened = false;
    layout();
    post({ type: 'chatproxy:close' });
    if (returnFocus) launcher.focus();
    emit('close');
  }

  function listen(): void {
    const add = (target: EventTarget, type: string, fn: EventListener) => {
      target.addEventListener(type, fn);
      cleanups.push(() => target.removeEventListener(type, fn));
    };
    const relayout = () => opened && layout();
    add(win, 'message', onMessage as EventListener);
    for (const type of ['turbo:load', 'turbo:render', 'astro:after-swap', 'astro:page-load']) add(doc, type, attach);
    add(win, 'popstate', attach);
    add(win, 'pagehide', flush);
    add(doc, 'visibilitychange', () => doc.visibilityState === 'hidden' && flush());
    add(win, 'pageshow', attach);
    add(mobile, 'change', relayout);
    if (win.visualViewport) {
      add(win.visualViewport, 'resize', relayout);
      add(win.visualViewport, 'scroll', relayout);
    }
    const nav = (win as Window & { navigation?: EventTarget }).navigation;
    if (nav) add(nav, 'navigatesuccess', attach);
    else {
      // No Navigation API: notice pushState/replaceState route changes.
      const h = win.history;
      for (const name of ['pushState', 'replaceState'] as const) {
        const original = h[name];
        h[name] = function (this: History, ...args: Parameters<History['pushState']>) {
          original.apply(this, args);
          attach();
        };
        cleanups.push(() => (h[name] = original));
      }
    }
    observer = new MutationObserver(attach);
    observer.observe(doc.documentElement, { childList: true });
  }

  css(launcher, {
    position: 'fixed', width: px(LAUNCHER), height: px(LAUNCHER), margin: '0', padding: '0', border: '0',
    borderRadius: '50%', cursor: 'pointer', alignItems: 'center', justifyContent: 'center',
    boxShadow: '0 4px 16px rgba(0,0,0,.25)', opacity: '0', boxSizing: 'border-box',
    transition: reduceMotion ? 'none' : 'opacity .2s',
  });
  css(badge, {
    position: 'absolute', top: '-4px', right: '-4px', minWidth: '20px', height: '20px', padding: '0 5px',
    borderRadius: '10px', background: '#b91c1c', color: '#fff', font: '600 12px/20px system-ui,sans-serif',
    boxSizing: 'border-box',
  });
  launcher.addEventListener('click', () => (opened ? close() : open()));
  launcher.addEventListener('keydown', (e) => e.key === 'Escape' && close());
  root.appendChild(launcher);

  return {
    mount() {
      layout();
      attach();
      listen();
      fetchTheme();
      if (opts.open) open();
      else if (opts.preload) {
        const idle = (win as Window & { requestIdleCallback?: (cb: () => void) => number }).requestIdleCallback;
        if (idle) idle.call(win, ensureFrame);
        else win.setTimeout(ensureFrame, 2000);
      }
    },
    attach,
    open,
    close,
    toggle: () => (opened ? close() : open()),
    sendMessage(text) {
      if (typeof text !== 'string' || !text.trim()) return;
      open();
      post({ type: 'chatproxy:send', text });
    },
    setContext(value) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
      context = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
      post({ type: 'chatproxy:context', context });
    },
    track,
    consent(granted) {
      if (typeof granted !== 'boolean') return;
      consent = granted;
      post({ type: 'chatproxy:consent', granted });
    },
    on(event, fn) {
      const list = (handlers[event] = handlers[event] || []);
      list.push(fn);
      return () => {
        const i = list.indexOf(fn);
        if (i >= 0) list.splice(i, 1);
      };
    },
    destroy() {
      flush();
      lockScroll(false);
      cleanups.forEach((fn) => fn());
      if (observer) observer.disconnect();
      root.remove();
      frame = null;
    },
  };
}
