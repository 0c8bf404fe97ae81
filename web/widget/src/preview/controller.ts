// The preview's stand-in for ChatController: the real dialog, fed a draft config and a short
// sample conversation, with no network at all (nothing is created, sent or stored). Sending
// adds the visitor's text and a canned answer so the operator sees both bubble styles.

import { normaliseConfig } from '../app/config';
import { makeTranslator, pickLanguage } from '../app/i18n';
import { Store, uuid, type ChatMessage, type ChatState } from '../app/state';
import type { ChatControls } from '../app/ui/App';
import { publicFromDraft } from './protocol';

const SAMPLE_ANSWER =
  'This is a **preview**: answers come from your n8n workflow once the site is saved.\n\n' +
  '- Markdown such as *lists* and [links](https://example.com) is shown like this\n- Raw <b>HTML</b> is shown as text';

export class PreviewController implements ChatControls {
  readonly store: Store<ChatState>;

  constructor(private readonly browserLanguages: readonly string[]) {
    this.store = new Store<ChatState>({
      phase: 'loading', config: null, lang: 'en', t: makeTranslator('en'), messages: [], connection: 'connected',
      // open: false, so the dialog never takes the focus from the console page around it.
      persistence: 'local', rateWait: 0, notice: '', announce: '', open: false, mobile: false,
      declined: false, menu: false, confirmErase: false,
    });
  }

  /** Shows the draft: its look, texts, suggestions and language. */
  update(site: Record<string, unknown>): void {
    const config = normaliseConfig(publicFromDraft(site), String(site.id ?? 'preview'));
    const lang = pickLanguage({ site: config.language, browser: this.browserLanguages });
    this.store.set({ phase: 'ready', config, lang, t: makeTranslator(lang, config.texts) });
  }

  send(raw: string): void {
    const text = raw.trim();
    if (!text) return;
    const user: ChatMessage = { key: uuid(), role: 'user', content: text, status: 'sent' };
    const answer: ChatMessage = { key: uuid(), role: 'assistant', content: SAMPLE_ANSWER, status: 'complete' };
    this.store.set({ messages: [...this.store.get().messages, user, answer] });
  }

  suggest(_index: number, text: string): void {
    this.send(text);
  }

  rate(): void {}

  retry(): void {}

  retryAnswer(): void {}

  newConversation(): void {
    this.store.set({ messages: [] });
  }

  requestClose(): void {}

  // The privacy menu shows its parts in the preview, but nothing is stored to download or erase.
  accept(): void {}

  decline(): void {}

  toggleMenu(): void {
    this.store.set({ menu: !this.store.get().menu, confirmErase: false });
  }

  download(): void {
    this.store.set({ menu: false });
  }

  askErase(): void {
    this.store.set({ menu: false, confirmErase: true });
  }

  cancelErase(): void {
    this.store.set({ confirmErase: false });
  }

  erase(): void {
    this.store.set({ confirmErase: false, messages: [] });
  }
}
