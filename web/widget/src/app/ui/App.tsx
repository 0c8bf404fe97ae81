// The chat dialog: header, connection/notice bar, conversation, suggestion chips, composer,
// and a polite live region that announces each finished answer once (not every token).

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import type { MarkdownOptions } from '../markdown';
import type { ChatMessage, ChatState, Store } from '../state';
import { Composer } from './Composer';
import { CloseIcon, MoreIcon, NewChatIcon } from './icons';
import { Message } from './Message';
import { ConsentPrompt, EraseConfirm, PrivacyMenu, PrivacyNotice } from './Privacy';

function useTheme(s: ChatState): void {
  useEffect(() => {
    const root = document.documentElement;
    root.lang = s.lang;
    if (!s.config) return;
    // CSSOM custom properties: allowed by the frame's CSP (style-src 'self'), unlike style attributes in HTML.
    root.style.setProperty('--cp-primary', s.config.primaryColor);
    root.style.setProperty('--cp-on-primary', s.config.textColor);
    document.title = s.config.title || s.t('title');
  }, [s.config, s.lang, s.t]);
}

/** Keeps the conversation scrolled to the newest message while the visitor is at the bottom. */
function useStickToBottom(messages: ChatMessage[]) {
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const onScroll = useCallback(() => {
    const el = ref.current;
    if (el) stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  }, []);
  const toBottom = useCallback(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, []);
  useLayoutEffect(() => {
    if (stick.current) toBottom();
  }, [messages, toBottom]);
  useEffect(() => {
    // On-screen keyboard: when the visual viewport shrinks, keep the latest message in view.
    const vv = window.visualViewport;
    if (!vv) return;
    const onResize = () => stick.current && toBottom();
    vv.addEventListener('resize', onResize);
    return () => vv.removeEventListener('resize', onResize);
  }, [toBottom]);
  return { ref, onScroll, toBottom };
}

/** What the dialog needs from its controller: the chat's (ChatController) or the console preview's. */
export interface ChatControls {
  readonly store: Store<ChatState>;
  send(text: string): void;
  /** A suggestion chip: sends its text (the chat also records which chip it was). */
  suggest(index: number, text: string): void;
  rate(key: string, rating: 'up' | 'down'): void;
  retry(clientMessageId: string): void;
  retryAnswer(key: string): void;
  newConversation(): Promise<void> | void;
  requestClose(): void;
  // Privacy (docs/privacy.md): opt-in prompt, the header menu, erase with a confirmation.
  accept(): void;
  decline(): void;
  toggleMenu(): void;
  download(): Promise<void> | void;
  askErase(): void;
  cancelErase(): void;
  erase(): Promise<void> | void;
}

export function App({ controller }: { controller: ChatControls }) {
  const s = useSyncExternalStore(controller.store.subscribe, controller.store.get);
  const { t, config } = s;
  const dialog = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const scroll = useStickToBottom(s.messages);
  useTheme(s);

  const markdown = useMemo<MarkdownOptions>(
    () => ({ allowImages: !!config?.allowRemoteImages, imageHosts: config?.imageHosts ?? [] }),
    [config],
  );

  useEffect(() => {
    if (!s.open || s.phase === 'loading') return;
    // On phones the keyboard would cover half the sheet: focus the dialog, not the input.
    if (s.mobile) dialog.current?.focus();
    else input.current?.focus();
  }, [s.open, s.phase, s.mobile]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') controller.requestClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [controller]);

  const onRetry = useCallback(
    (m: ChatMessage) => (m.role === 'user' ? controller.retry(m.clientMessageId ?? '') : controller.retryAnswer(m.key)),
    [controller],
  );
  const onRate = useCallback((key: string, rating: 'up' | 'down') => controller.rate(key, rating), [controller]);
  const send = useCallback(
    (text: string) => {
      scroll.toBottom();
      controller.send(text);
    },
    [controller, scroll],
  );

  const title = config?.title || t('title');
  const subtitle = config?.subtitle || t('subtitle');
  const hasUserMessages = s.messages.some((m) => m.role === 'user');
  const status =
    s.connection === 'offline' ? t('offline') : s.connection === 'reconnecting' ? t('reconnecting') : '';

  return (
    <div className="cp-dialog" role="dialog" aria-labelledby="cp-title" aria-describedby="cp-subtitle" ref={dialog} tabIndex={-1}>
      <header className="cp-header">
        {config?.avatarUrl ? (
          <img className="cp-avatar" src={config.avatarUrl} alt="" />
        ) : (
          <span className="cp-avatar cp-avatar-letter" aria-hidden="true">
            {title.charAt(0).toUpperCase()}
          </span>
        )}
        <div className="cp-heading">
          <h1 id="cp-title">{title}</h1>
          <p id="cp-subtitle">{subtitle}</p>
        </div>
        {s.phase === 'ready' && (
          <button type="button" className="cp-icon-button cp-menu-button" onClick={() => controller.toggleMenu()} aria-label={t('menu')} title={t('menu')} aria-haspopup="menu" aria-expanded={s.menu}>
            <MoreIcon />
          </button>
        )}
        <button type="button" className="cp-icon-button" onClick={() => void controller.newConversation()} aria-label={t('newConversation')} title={t('newConversation')}>
          <NewChatIcon />
        </button>
        <button type="button" className="cp-icon-button" onClick={() => controller.requestClose()} aria-label={t('close')} title={t('close')}>
          <CloseIcon />
        </button>
      </header>
      <PrivacyMenu s={s} controller={controller} />
      <EraseConfirm s={s} controller={controller} />
      <div role="status" className="cp-status-region">
        {status && <p className={`cp-banner cp-banner-${s.connection}`}>{status}</p>}
        {s.rateWait > 0 && <p className="cp-banner cp-banner-reconnecting">{t('rateLimited', { seconds: s.rateWait })}</p>}
        {s.notice && <p className="cp-banner cp-banner-reconnecting">{s.notice}</p>}
      </div>
      {s.persistence === 'memory' && <p className="cp-banner cp-banner-info">{t('notSaved')}</p>}
      <div className="cp-log" ref={scroll.ref} onScroll={scroll.onScroll} tabIndex={0} aria-label={t('messagesLabel')} role="region">
        {s.phase === 'unavailable' ? (
          <p className="cp-empty">{t('loadError')}</p>
        ) : s.phase === 'consent' ? (
          <ConsentPrompt s={s} controller={controller} />
        ) : (
          <>
            <div className="cp-msg cp-assistant cp-welcome">
              <div className="cp-bubble">
                <p>{t('welcome')}</p>
              </div>
            </div>
            {s.messages.map((m) => (
              <Message key={m.key} message={m} t={t} markdown={markdown} onRetry={onRetry} onRate={onRate} />
            ))}
          </>
        )}
      </div>
      {!hasUserMessages && config && config.suggestions.length > 0 && (
        <ul className="cp-suggestions" aria-label={t('suggestionsLabel')}>
          {config.suggestions.map((q, i) => (
            <li key={q}>
              <button
                type="button"
                className="cp-chip"
                onClick={() => {
                  scroll.toBottom();
                  controller.suggest(i, q);
                }}
              >
                {q}
              </button>
            </li>
          ))}
        </ul>
      )}
      {config && config.consent !== 'none' && s.phase !== 'consent' && !hasUserMessages && <PrivacyNotice s={s} />}
      <Composer ref={input} t={t} maxLength={config?.maxMessageLength ?? 4000} disabled={s.phase === 'unavailable' || s.phase === 'consent'} onSend={send} />
      <div className="cp-sr" aria-live="polite" aria-atomic="true">
        {s.announce}
      </div>
    </div>
  );
}
