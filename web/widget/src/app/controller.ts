// The chat's use cases, independent of React: start (config, language, host channel),
// open/close, send through the outbox, follow each reply to its end, restore history,
// start a new conversation, and react to the network coming and going.

import { Api, ApiError } from './api';
import { normaliseConfig, originAllowed } from './config';
import { followReply, Waker, type ConnectionState } from './follow';
import { fromHistory, insertAnswer, pendingAnswered } from './history';
import { makeTranslator, pickLanguage } from './i18n';
import { Outbox, type OutboxItem, type SendOutcome } from './outbox';
import { HostBridge, SessionStore } from './persist';
import { coarseFingerprint, saveFile } from './privacy';
import { ReplyTracker } from './reply';
import { SessionKeeper } from './session';
import { patchMessage, Store, uuid, type ChatMessage, type ChatState } from './state';
import type { HostMessage } from '../shared/protocol';

export interface Env {
  win: Window;
  siteId: string;
  /** The ?host= origin the loader claims; trusted only if the site allows it. */
  hostParam: string;
  langParam: string;
}

const RESTORE_WAIT_MS = 1500;

/** Resolves after ms (at once when ms <= 0), or as soon as signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

export class ChatController {
  readonly store: Store<ChatState>;
  private readonly api = new Api();
  private readonly waker = new Waker();
  private readonly outbox: Outbox;
  private bridge: HostBridge | null = null;
  private restored: Promise<{ ok: boolean; values: Record<string, string> } | null> = Promise.resolve(null);
  private session: SessionKeeper | null = null;
  private started: Promise<void> | null = null;
  private replies = new AbortController();
  private context: Record<string, unknown> = {};
  private pageUrl = '';
  private unread = 0;
  private retryTimer = 0;
  private retryFailures = 0;
  /** The visitor's (or the shop banner's) answer: null until given. Matters on opt_in sites. */
  private consented: boolean | null = null;

  constructor(private readonly env: Env) {
    const t = makeTranslator('en');
    this.store = new Store<ChatState>({
      phase: 'loading', config: null, lang: 'en', t, messages: [], connection: 'connected',
      persistence: 'unknown', rateWait: 0, notice: '', announce: '', open: false, mobile: false,
      declined: false, menu: false, confirmErase: false,
    });
    this.outbox = new Outbox((item) => this.deliver(item));
  }

  private get s(): ChatState {
    return this.store.get();
  }

  /** Loads the site config and connects to the host page. Creates no session and writes nothing. */
  async init(): Promise<void> {
    const { win } = this.env;
    let config;
    try {
      config = normaliseConfig(await this.api.config(this.env.siteId), this.env.siteId);
    } catch {
      this.store.set({ phase: 'unavailable' });
      return;
    }
    const nav = win.navigator;
    const lang = pickLanguage({ override: this.env.langParam, site: config.language, browser: nav.languages?.length ? nav.languages : [nav.language] });
    this.store.set({ config, lang, t: makeTranslator(lang, config.texts), connection: nav.onLine === false ? 'offline' : 'connected' });
    this.bridge = new HostBridge(win, this.trustedHost(config.allowedOrigins));
    this.watchNetwork();
    if (!this.bridge.connected) {
      this.open(); // opened directly (no loader): behave as an open chat
      return;
    }
    let answer: (v: { ok: boolean; values: Record<string, string> }) => void = () => undefined;
    this.restored = Promise.race([
      new Promise<{ ok: boolean; values: Record<string, string> }>((r) => (answer = r)),
      new Promise<null>((r) => setTimeout(() => r(null), RESTORE_WAIT_MS)),
    ]);
    this.bridge.listen((msg) => this.onHost(msg, answer));
    this.bridge.post({ type: 'chatproxy:ready' });
  }

  /** The host origin, only when the site allows it and (where the browser tells) it is our real parent. */
  private trustedHost(allowed: string[]): string | null {
    const { win, hostParam } = this.env;
    let origin: string;
    try {
      origin = new URL(hostParam).origin;
    } catch {
      return null;
    }
    if (origin !== hostParam || !originAllowed(origin, allowed)) return null;
    const ancestors = win.location.ancestorOrigins;
    if (ancestors && ancestors.length > 0 && ancestors[0] !== origin) return null;
    return origin;
  }

  private onHost(msg: HostMessage, answerRestore: (v: { ok: boolean; values: Record<string, string> }) => void): void {
    switch (msg.type) {
      case 'chatproxy:restore':
        answerRestore({ ok: msg.ok, values: msg.values });
        break;
      case 'chatproxy:open':
        this.open();
        break;
      case 'chatproxy:close':
        this.store.set({ open: false });
        break;
      case 'chatproxy:send':
        this.open();
        this.send(msg.text);
        break;
      case 'chatproxy:context':
        this.context = msg.context;
        break;
      case 'chatproxy:consent':
        this.setConsent(msg.granted);
        break;
      case 'chatproxy:page':
        if (/^https?:\/\//.test(msg.url)) this.pageUrl = msg.url.slice(0, 2048);
        this.store.set({ mobile: msg.mobile });
        break;
    }
  }

  open(): void {
    this.unread = 0;
    this.bridge?.post({ type: 'chatproxy:unread', count: 0 });
    this.store.set({ open: true });
    if (this.needsConsent()) {
      // opt_in: nothing is stored, created or sent until the visitor accepts.
      if (this.s.phase !== 'unavailable') this.store.set({ phase: 'consent' });
      return;
    }
    void this.start();
  }

  /** An opt_in site whose visitor has not accepted (yet). */
  private needsConsent(): boolean {
    return this.s.config?.consent === 'opt_in' && this.consented !== true;
  }

  /** The visitor accepted in the chat. */
  accept(): void {
    this.setConsent(true);
  }

  /** The visitor declined in the chat: nothing happens, nothing is stored. */
  decline(): void {
    this.store.set({ declined: true });
  }

  /**
   * Consent from the visitor or the shop's banner (ChatProxy.consent). Granting starts the
   * chat if it waited for it; withdrawing stops analytics for the session and, on opt_in
   * sites, forgets the stored session in this browser.
   */
  setConsent(granted: boolean): void {
    const before = this.consented;
    this.consented = granted;
    const rec = this.session?.usable();
    if (rec && before !== granted) void this.api.setAnalytics(granted).catch(() => undefined);
    if (granted) {
      if (this.s.phase === 'consent') {
        this.store.set({ phase: 'loading', declined: false });
        void this.start();
      }
      return;
    }
    if (this.s.config?.consent === 'opt_in') this.reset(this.s.open ? 'consent' : 'ready', true);
  }

  /** Back to an empty chat; with forgetAll, nothing of the visitor is kept in this browser. */
  private reset(phase: ChatState['phase'], forgetAll: boolean): void {
    this.replies.abort();
    this.replies = new AbortController();
    this.outbox.clear();
    if (forgetAll) this.session?.clear();
    this.session = null;
    this.started = null;
    this.store.set({ messages: [], phase, menu: false, confirmErase: false, announce: '' });
  }

  toggleMenu(): void {
    this.store.set({ menu: !this.s.menu, confirmErase: false });
  }

  /** "Download my conversation": the server's JSON export of this session. */
  async download(): Promise<void> {
    this.store.set({ menu: false });
    const rec = this.session?.usable();
    if (!rec) return;
    try {
      saveFile(this.env.win, await this.api.exportMine(), `conversation-${rec.sessionId}.json`);
    } catch {
      this.store.set({ notice: this.s.t('privacyFailed') });
    }
  }

  /** "Delete my conversation": asks first (confirmErase), then erases on the server. */
  askErase(): void {
    this.store.set({ menu: false, confirmErase: true });
  }

  cancelErase(): void {
    this.store.set({ confirmErase: false });
  }

  async erase(): Promise<void> {
    const rec = this.session?.usable();
    try {
      if (rec) await this.api.eraseMine();
    } catch {
      this.store.set({ confirmErase: false, notice: this.s.t('privacyFailed') });
      return;
    }
    this.reset('ready', true);
    this.store.set({ notice: this.s.t('erased') });
  }

  /** The visitor closed the chat from inside (close button or Escape). */
  requestClose(): void {
    this.store.set({ open: false });
    this.bridge?.post({ type: 'chatproxy:close' });
  }

  /** First open: pick storage, restore the session and its history, or start a new session. */
  private start(): Promise<void> {
    if (!this.started) this.started = this.doStart();
    return this.started;
  }

  private async doStart(): Promise<void> {
    const { win, siteId } = this.env;
    if (!this.bridge) return;
    const store = SessionStore.init(win, siteId, this.bridge, await this.restored);
    this.session = new SessionKeeper(
      this.api, store, siteId, () => this.pageUrl, Date.now,
      (id) => this.bridge?.post({ type: 'chatproxy:visitor', id }),
      () => this.sessionExtras(),
    );
    this.store.set({ persistence: store.mode });
    const rec = this.session.usable();
    if (rec) await this.loadHistory(rec.sessionId);
    else await this.session.ensure().catch((err) => this.noteFailure(err));
    this.store.set({ phase: 'ready' });
    const pending = this.session.usable()?.pending;
    if (pending && !pendingAnswered(this.s.messages, pending.text)) {
      // History knows the question by its server id: link it to our client id so it is not shown twice.
      const last = this.s.messages[this.s.messages.length - 1];
      if (last?.role === 'user' && last.content === pending.text) this.setMessage(last.key, { clientMessageId: pending.id });
      this.rejoin(pending.id, pending.text);
    }
    void this.outbox.flush();
  }

  private sessionExtras(): { consent?: boolean; fingerprint?: string } {
    const config = this.s.config;
    const out: { consent?: boolean; fingerprint?: string } = {};
    if (config?.consent === 'opt_in') out.consent = this.consented === true;
    if (config?.fingerprint && !this.needsConsent()) out.fingerprint = coarseFingerprint(this.env.win);
    return out;
  }

  private async loadHistory(sessionId: string): Promise<void> {
    try {
      const history = await this.api.history(sessionId);
      const local = this.s.messages.filter((m) => m.status === 'queued' || m.status === 'sending' || m.status === 'failed');
      this.store.set({ messages: [...history.map(fromHistory), ...local] });
    } catch (err) {
      if (err instanceof ApiError && !err.transient) {
        this.session?.forget();
        await this.session?.ensure().catch((e) => this.noteFailure(e));
      } else this.noteFailure(err);
    }
  }

  /** Thumbs up or down on an answer: once, then changeable once (POST /api/v1/events). */
  rate(key: string, rating: 'up' | 'down'): void {
    const m = this.s.messages.find((x) => x.key === key);
    if (!m || !m.messageId || m.ratingChanged || m.rating === rating) return;
    const props: Record<string, unknown> = { message_id: m.messageId, rating };
    if (m.rating) props.changed_from = m.rating;
    this.setMessage(key, { rating, ratingChanged: !!m.rating });
    this.store.set({ announce: this.s.t('rated') });
    this.api.events(this.env.siteId, [{ name: 'feedback', props }]);
  }

  /** A suggestion chip: counted (by its position, not its text), then sent. */
  suggest(index: number, text: string): void {
    this.api.events(this.env.siteId, [{ name: 'suggestion_clicked', props: { index } }]);
    this.send(text);
  }

  /** A message from the visitor (composer, suggestion chip or the host API). */
  send(raw: string): void {
    if (this.needsConsent()) return;
    const text = raw.trim();
    const max = this.s.config?.maxMessageLength ?? 4000;
    if (!text) return;
    if ([...text].length > max) {
      this.store.set({ notice: this.s.t('tooLong', { max }) });
      return;
    }
    const id = uuid();
    const msg: ChatMessage = { key: id, role: 'user', content: text, status: 'queued', clientMessageId: id };
    this.store.set({ messages: [...this.s.messages, msg], notice: '' });
    this.bridge?.post({ type: 'chatproxy:message', role: 'user', text });
    this.outbox.enqueue(text, id);
    void this.start().then(() => this.outbox.flush());
  }

  /** Retry button on a user message that was not sent. */
  retry(clientMessageId: string): void {
    const msg = this.s.messages.find((m) => m.role === 'user' && m.clientMessageId === clientMessageId);
    if (!msg) return;
    if (this.outbox.retry(clientMessageId)) {
      this.setMessage(msg.key, { status: 'queued', note: '' });
      void this.outbox.flush();
    } else {
      this.rejoin(clientMessageId, msg.content, true);
    }
  }

  /** Retry button on an interrupted answer: post the same message again; the server joins its reply. */
  retryAnswer(key: string): void {
    const msg = this.s.messages.find((m) => m.key === key);
    const user = msg && this.s.messages.find((m) => m.role === 'user' && m.clientMessageId === msg.clientMessageId);
    if (!msg || !user || !msg.clientMessageId) return;
    this.store.set({ messages: this.s.messages.filter((m) => m.key !== key) });
    this.rejoin(msg.clientMessageId, user.content);
  }

  /** Starts over: a new session for the same visitor, an empty chat. */
  async newConversation(): Promise<void> {
    this.replies.abort();
    this.replies = new AbortController();
    this.outbox.clear();
    this.store.set({ messages: [], notice: '', announce: '' });
    await this.start();
    this.session?.forget();
    await this.session?.ensure().catch((err) => this.noteFailure(err));
  }

  private setMessage(key: string, patch: Partial<ChatMessage>): void {
    this.store.set({ messages: patchMessage(this.s.messages, key, patch) });
  }

  private userKey(clientMessageId: string): string | undefined {
    return this.s.messages.find((m) => m.role === 'user' && m.clientMessageId === clientMessageId)?.key;
  }

  /** Sends one outbox item and follows its reply to the end. */
  private async deliver(item: OutboxItem): Promise<SendOutcome> {
    const key = this.userKey(item.clientMessageId);
    if (!key) return 'failed';
    if (!this.session) return 'retry'; // start() flushes again once the session is ready
    if (this.env.win.navigator.onLine === false) {
      this.setConnection('offline');
      return 'retry';
    }
    this.setMessage(key, { status: 'sending', note: '' });
    const signal = this.replies.signal;
    let res: Response;
    try {
      res = await this.post(item.clientMessageId, item.text, signal, true);
    } catch (err) {
      return this.sendFailed(key, err);
    }
    this.retryFailures = 0;
    this.setConnection('connected');
    this.setMessage(key, { status: 'sent' });
    await this.follow(item.clientMessageId, item.text, res, signal);
    return 'sent';
  }

  /** POST /chat/message, renewing the session once when the server no longer knows it. */
  private async post(clientMessageId: string, text: string, signal: AbortSignal, renew: boolean): Promise<Response> {
    if (!this.session) throw new ApiError(0, 'network', 'no session');
    await this.session.ensure();
    // A visitor who types at once (or taps a suggestion) is not a bot: wait out the site's rule
    // instead of being refused; the message shows as sending meanwhile.
    await pause(this.session.sendDelay(this.s.config?.minFirstMessageDelayMs ?? 0), signal);
    this.session.setPending({ id: clientMessageId, text });
    try {
      return await this.api.sendMessage(
        { message: text, page_url: this.pageUrl || undefined, client_message_id: clientMessageId, context: this.context },
        signal,
      );
    } catch (err) {
      if (renew && err instanceof ApiError && err.status === 401) {
        this.session.forget();
        return this.post(clientMessageId, text, signal, false);
      }
      throw err;
    }
  }

  private sendFailed(key: string, err: unknown): SendOutcome {
    if (this.replies.signal.aborted) return 'failed';
    if (err instanceof ApiError && err.code === 'too_fast') {
      // Still too soon after session creation (a clock apart, a session restored from another
      // page): not the visitor's doing, so no banner; send again when the server allows.
      this.setMessage(key, { status: 'sending' });
      clearTimeout(this.retryTimer);
      this.retryTimer = this.env.win.setTimeout(() => void this.outbox.flush(), Math.max(1, err.retryAfter) * 1000);
      return 'retry';
    }
    if (err instanceof ApiError && err.status === 429) {
      this.setMessage(key, { status: 'queued' });
      this.startRateWait(err.retryAfter || 5);
      return 'retry';
    }
    if (!(err instanceof ApiError) || err.transient) {
      this.setMessage(key, { status: 'queued' });
      this.noteFailure(err);
      this.scheduleRetry();
      return 'retry';
    }
    const { t } = this.s;
    const note = err.code === 'message_too_long' ? t('tooLong', { max: this.s.config?.maxMessageLength ?? 4000 }) : err.message || t('failed');
    this.setMessage(key, { status: 'failed', note, retryable: err.status !== 400 && err.status !== 413 });
    return 'failed';
  }

  /** Re-posts a message whose reply we lost (reload mid-answer, or a retry): the server joins it. */
  private rejoin(clientMessageId: string, text: string, userRetry = false): void {
    const key = this.userKey(clientMessageId);
    if (key && userRetry) this.setMessage(key, { status: 'sending', note: '' });
    if (!key) {
      // It never reached the server before the reload: show it again while it is sent now.
      const msg: ChatMessage = { key: clientMessageId, role: 'user', content: text, status: 'sending', clientMessageId };
      this.store.set({ messages: [...this.s.messages, msg] });
    }
    const signal = this.replies.signal;
    void this.follow(clientMessageId, text, null, signal);
  }

  /** Follows a reply (from `first`, or by posting again when null) and records how it ended. */
  private async follow(clientMessageId: string, text: string, first: Response | null, signal: AbortSignal): Promise<void> {
    const key = uuid();
    const tracker = new ReplyTracker();
    const bubble: ChatMessage = { key, role: 'assistant', content: '', status: 'streaming', clientMessageId };
    this.store.set({ messages: insertAnswer(this.s.messages, bubble, clientMessageId) });
    const result = await followReply(first, tracker, {
      restart: (s) => this.post(clientMessageId, text, s, true),
      resume: (id, last, s) => this.api.resume(id, last, s),
      onUpdate: () => this.setMessage(key, { content: tracker.text }),
      onConnection: (state) => this.setConnection(state),
      isOnline: () => this.env.win.navigator.onLine !== false,
      waker: this.waker,
    }, signal);
    if (result === 'aborted') return;
    this.session?.setPending(null);
    const userKey = this.userKey(clientMessageId);
    if (userKey) this.setMessage(userKey, { status: 'sent', note: '' });
    if (result === 'reset') {
      this.store.set({ messages: this.s.messages.filter((m) => m.key !== key) });
      const rec = this.session?.usable();
      if (rec) await this.loadHistory(rec.sessionId);
      return;
    }
    this.setConnection('connected');
    this.finishBubble(key, tracker, result === 'gave-up');
  }

  private finishBubble(key: string, tracker: ReplyTracker, gaveUp: boolean): void {
    const { t } = this.s;
    if (gaveUp) {
      this.setMessage(key, { status: 'interrupted', content: tracker.text, note: t('interrupted'), retryable: true });
      return;
    }
    const failed = tracker.status === 'failed' || (!tracker.text && tracker.errorText !== '');
    const status = failed ? 'error' : tracker.status === 'partial' ? 'partial' : 'complete';
    const note = status === 'complete' ? '' : tracker.errorText || t(failed ? 'answerFailed' : 'interrupted');
    const content = failed && !tracker.text ? '' : tracker.text;
    this.setMessage(key, { status, content, note, retryable: false, messageId: tracker.messageId || undefined });
    const spoken = content || note;
    this.store.set({ announce: t('announce', { text: spoken }) });
    this.bridge?.post({ type: 'chatproxy:message', role: 'assistant', text: spoken });
    if (!this.s.open) this.bridge?.post({ type: 'chatproxy:unread', count: ++this.unread });
  }

  private setConnection(connection: ConnectionState): void {
    if (this.s.connection !== connection) this.store.set({ connection });
  }

  private noteFailure(err: unknown): void {
    const online = this.env.win.navigator.onLine !== false;
    if (!(err instanceof ApiError) || err.transient) this.setConnection(online ? 'reconnecting' : 'offline');
    else this.store.set({ notice: this.s.t('sessionError') });
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    if (this.env.win.navigator.onLine === false) return; // "online" will flush
    const delay = Math.min(30000, 1000 * 2 ** this.retryFailures++);
    this.retryTimer = this.env.win.setTimeout(() => void this.outbox.flush(), delay);
  }

  private startRateWait(seconds: number): void {
    this.store.set({ rateWait: seconds });
    const tick = this.env.win.setInterval(() => {
      const left = this.s.rateWait - 1;
      this.store.set({ rateWait: Math.max(0, left) });
      if (left <= 0) {
        this.env.win.clearInterval(tick);
        void this.outbox.flush();
      }
    }, 1000);
  }

  /** Online/offline, tab visibility and bfcache restores: reconnect at once instead of waiting. */
  private watchNetwork(): void {
    const { win } = this.env;
    const wake = () => {
      if (win.navigator.onLine === false) return;
      if (this.s.connection === 'offline') this.setConnection('connected');
      this.retryFailures = 0;
      this.waker.wake();
      if (this.started) void this.outbox.flush();
    };
    win.addEventListener('online', wake);
    win.addEventListener('offline', () => this.setConnection('offline'));
    win.addEventListener('pageshow', wake);
    win.document.addEventListener('visibilitychange', () => win.document.visibilityState === 'visible' && wake());
  }
}
