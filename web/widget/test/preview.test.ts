import { describe, expect, it } from 'vitest';
import { normaliseConfig } from '../src/app/config';
import { PreviewController } from '../src/preview/controller';
import { MAX_DRAFT_CHARS, parsePreviewMessage, publicFromDraft, trustedSender } from '../src/preview/protocol';

describe('preview protocol', () => {
  it('accepts a draft site and nothing else', () => {
    expect(parsePreviewMessage({ type: 'chatproxy:preview', site: { id: 'shop' } })).toEqual({ type: 'chatproxy:preview', site: { id: 'shop' } });
    expect(parsePreviewMessage({ type: 'chatproxy:preview', site: [] })).toBeNull();
    expect(parsePreviewMessage({ type: 'chatproxy:preview' })).toBeNull();
    expect(parsePreviewMessage({ type: 'chatproxy:open' })).toBeNull();
    expect(parsePreviewMessage('chatproxy:preview')).toBeNull();
    expect(parsePreviewMessage({ type: 'chatproxy:preview', site: { name: 'x'.repeat(MAX_DRAFT_CHARS) } })).toBeNull();
  });

  it('trusts only its same-origin parent', () => {
    const parent = {};
    const win = { location: { origin: 'http://console' }, parent };
    expect(trustedSender({ origin: 'http://console', source: parent }, win)).toBe(true);
    expect(trustedSender({ origin: 'https://evil.example', source: parent }, win)).toBe(false);
    expect(trustedSender({ origin: 'http://console', source: {} }, win)).toBe(false);
    const top = { location: { origin: 'http://console' }, parent: null as unknown };
    top.parent = top;
    expect(trustedSender({ origin: 'http://console', source: top }, top)).toBe(false);
  });

  it('maps the admin shape to the public config and keeps only safe look values', () => {
    const site = {
      id: 'shop', name: 'Shop', limits: { max_message_length: 500 }, abuse: { min_first_message_delay_ms: 800 },
      widget: { title: 'Ask us', primary_color: 'red; background:url(x)', text_color: '#000', avatar_url: 'javascript:alert(1)',
        language: 'ru', allow_remote_images: true, image_hosts: ['cdn.shop.com'], welcome: 'Hello', suggestions: ['A?'] },
    };
    const cfg = normaliseConfig(publicFromDraft(site), 'shop');
    expect(cfg.title).toBe('Ask us');
    expect(cfg.primaryColor).toBe('#4f46e5');
    expect(cfg.textColor).toBe('#000');
    expect(cfg.avatarUrl).toBe('');
    expect(cfg.language).toBe('ru');
    expect(cfg.maxMessageLength).toBe(500);
    expect(cfg.allowRemoteImages).toBe(true);
    expect(cfg.imageHosts).toEqual(['cdn.shop.com']);
    expect(cfg.texts.welcome).toBe('Hello');
    expect(cfg.suggestions).toEqual(['A?']);
  });

  it('the preview controller shows the draft and answers locally', () => {
    const c = new PreviewController(['en-US']);
    expect(c.store.get().phase).toBe('loading');
    c.update({ id: 'shop', widget: { title: 'Ask us', language: 'ru' } });
    expect(c.store.get().phase).toBe('ready');
    expect(c.store.get().open).toBe(false); // the dialog would otherwise take the console's focus
    expect(c.store.get().config?.title).toBe('Ask us');
    expect(c.store.get().lang).toBe('ru');
    c.send('  hi  ');
    const [user, answer] = c.store.get().messages;
    expect(user?.content).toBe('hi');
    expect(answer?.role).toBe('assistant');
    c.suggest(0, 'Shipping?');
    expect(c.store.get().messages[2]?.content).toBe('Shipping?');
    c.newConversation();
    expect(c.store.get().messages).toEqual([]);
  });
});
