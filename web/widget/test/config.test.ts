import { describe, expect, it } from 'vitest';
import { normaliseConfig, originAllowed } from '../src/app/config';

describe('normaliseConfig', () => {
  it('reads the first-message delay, never negative, at most 10 s', () => {
    expect(normaliseConfig({ min_first_message_delay_ms: 1500 }, 'x').minFirstMessageDelayMs).toBe(1500);
    expect(normaliseConfig({}, 'x').minFirstMessageDelayMs).toBe(0);
    expect(normaliseConfig({ min_first_message_delay_ms: -1 }, 'x').minFirstMessageDelayMs).toBe(0);
    expect(normaliseConfig({ min_first_message_delay_ms: '900' }, 'x').minFirstMessageDelayMs).toBe(0);
    expect(normaliseConfig({ min_first_message_delay_ms: 3_600_000 }, 'x').minFirstMessageDelayMs).toBe(10000);
  });

  it('reads the "widget" layout', () => {
    const c = normaliseConfig(
      {
        site_id: 'shop', name: 'Shop', allowed_origins: ['https://shop.example'], language: 'ru', max_message_length: 500,
        allow_remote_images: true, image_hosts: ['cdn.shop.example'],
        widget: {
          title: 'Help', subtitle: 'Fast', primary_color: '#112233', text_color: '#fff', avatar_url: 'https://cdn.shop.example/a.png',
          position: 'left', welcome: 'Hi!', placeholder: 'Ask', suggestions: ['A?', 'B?'], texts: { send: 'Go' },
        },
      },
      'x',
    );
    expect(c).toMatchObject({
      siteId: 'shop', language: 'ru', maxMessageLength: 500, allowRemoteImages: true, imageHosts: ['cdn.shop.example'],
      title: 'Help', subtitle: 'Fast', primaryColor: '#112233', textColor: '#fff', avatarUrl: 'https://cdn.shop.example/a.png',
      position: 'left', suggestions: ['A?', 'B?'],
    });
    expect(c.texts).toMatchObject({ welcome: 'Hi!', placeholder: 'Ask', send: 'Go', title: 'Help' });
  });

  it('reads the "branding" layout with top-level texts and suggestions', () => {
    const c = normaliseConfig(
      { site_id: 'demo', name: 'Demo', branding: { title: 'T', primary_color: '#4f46e5' }, texts: { welcome: 'W' }, suggestions: ['S'] },
      'demo',
    );
    expect(c).toMatchObject({ title: 'T', suggestions: ['S'], maxMessageLength: 4000, allowRemoteImages: false });
    expect(c.texts.welcome).toBe('W');
  });

  it('refuses colours and avatars that are not plain values', () => {
    const c = normaliseConfig({ widget: { primary_color: 'red;background:url(https://evil)', avatar_url: 'javascript:alert(1)' } }, 's');
    expect(c.primaryColor).toBe('#4f46e5');
    expect(c.avatarUrl).toBe('');
    expect(normaliseConfig({ widget: { avatar_url: 'http://x.example/a.png' } }, 's').avatarUrl).toBe('');
    expect(normaliseConfig({ widget: { primary_color: 'rgb(10, 20, 30)' } }, 's').primaryColor).toBe('rgb(10, 20, 30)');
  });

  it('survives garbage', () => {
    expect(normaliseConfig(null, 'site').siteId).toBe('site');
    expect(normaliseConfig({ suggestions: 'nope', widget: [] }, 's').suggestions).toEqual([]);
  });
});

describe('originAllowed', () => {
  const allowed = ['https://shop.example', 'https://*.brand.example', 'http://127.0.0.1:8080'];
  it.each([
    ['https://shop.example', true],
    ['http://127.0.0.1:8080', true],
    ['https://eu.brand.example', true],
    ['https://a.b.brand.example', true],
    ['https://brand.example', false],
    ['https://evilbrand.example', false],
    ['http://eu.brand.example', false],
    ['https://eu.brand.example:8443', false],
    ['https://shop.example.evil', false],
    ['http://127.0.0.1:8081', false],
  ])('%s → %s', (origin, want) => {
    expect(originAllowed(origin, allowed)).toBe(want);
  });
});

describe('privacy settings', () => {
  it('reads consent, the policy link and identify, strictest on unknown values', () => {
    expect(normaliseConfig({}, 's').consent).toBe('notice');
    expect(normaliseConfig({ consent: 'none' }, 's').consent).toBe('none');
    expect(normaliseConfig({ consent: 'opt_in' }, 's').consent).toBe('opt_in');
    expect(normaliseConfig({ consent: 'OPT-IN?' }, 's').consent).toBe('opt_in');
    expect(normaliseConfig({ privacy_policy_url: 'https://shop.example/p' }, 's').privacyPolicyUrl).toBe('https://shop.example/p');
    expect(normaliseConfig({ privacy_policy_url: 'javascript:alert(1)' }, 's').privacyPolicyUrl).toBe('');
    expect(normaliseConfig({ identify: 'fingerprint' }, 's').fingerprint).toBe(true);
    expect(normaliseConfig({}, 's').fingerprint).toBe(false);
  });
});
