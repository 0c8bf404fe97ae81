import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { queryString } from '../src/api/client';
import { embedSnippet, originOf, shopCSP } from '../src/pages/install';
import { prune } from '../src/pages/siteForm';
import { getPath, pairsToText, setPath, textToLines, textToPairs } from '../src/ui/fields';
import { match } from '../src/router';
import { apiQuery } from '../src/pages/Conversations';
import { TranscriptBody } from '../src/pages/Transcript';

describe('router', () => {
  it('matches patterns and decodes params', () => {
    expect(match('/admin/sites/:id', '/admin/sites/shop%2Fa')).toEqual({ id: 'shop/a' });
    expect(match('/admin/sites/:id', '/admin/sites')).toBeNull();
    expect(match('/admin/sites/:id/install', '/admin/sites/x/install')).toEqual({ id: 'x' });
    expect(match('/admin/sites/:id', '/admin/sites/%E0%A4%A')).toBeNull();
  });
});

describe('client', () => {
  it('builds queries from non-empty values only', () => {
    expect(queryString({ a: '1', b: '', c: undefined, d: null, e: 0, f: false })).toBe('?a=1&e=0&f=false');
    expect(queryString({})).toBe('');
  });
});

describe('install texts', () => {
  it('puts only an origin into the snippet, escaped', () => {
    expect(embedSnippet('https://chat.example.com/some/path', 'shop')).toBe(
      '<script src="https://chat.example.com/embed.js" data-site-id="shop" async></script>',
    );
    expect(embedSnippet('javascript:alert(1)', 'a"b<')).toBe(
      '<script src="https://chat.example.com/embed.js" data-site-id="a&quot;b&lt;" async></script>',
    );
    expect(originOf('ftp://x')).toBe('');
  });
  it('names the chatproxy origin in the three CSP directives', () => {
    const csp = shopCSP('http://localhost:8080');
    expect(csp).toContain("script-src  'self' http://localhost:8080;");
    expect(csp).toContain('frame-src   http://localhost:8080;');
    expect(csp).toContain("connect-src 'self' http://localhost:8080;");
  });
});

describe('site form', () => {
  it('sets and reads nested paths without touching the original', () => {
    const a = { widget: { title: 'x' } };
    const b = setPath(a, 'widget.subtitle', 'y');
    expect(a).toEqual({ widget: { title: 'x' } });
    expect(getPath(b, 'widget.subtitle')).toBe('y');
    expect(setPath(b, 'widget.title', undefined)).toEqual({ widget: { subtitle: 'y' } });
  });
  it('parses lines and key=value pairs', () => {
    expect(textToLines(' a \n\n b')).toEqual(['a', 'b']);
    expect(textToPairs('send=Go\nru.send = Отправить\nnoequals')).toEqual({ send: 'Go', 'ru.send': 'Отправить' });
    expect(pairsToText({ a: '1', b: '2' })).toBe('a=1\nb=2');
  });
  it('prunes empty values so a new site gets the defaults', () => {
    expect(prune({ id: 's', name: '', allowed_origins: [], widget: {}, signing: { algorithm: 'HS256' }, n: 0, f: false })).toEqual({
      id: 's', signing: { algorithm: 'HS256' }, n: 0, f: false,
    });
  });
});

describe('conversation filters', () => {
  it('turns dates into an RFC 3339 range covering the whole "to" day', () => {
    const q = apiQuery({ site: 's', from: '2026-01-01', to: '2026-01-01', status: '', returning: '', country: '', page: '', q: '' });
    expect(new Date(q.to ?? '').getTime() - new Date(q.from ?? '').getTime()).toBe(86400000);
    expect(q.site).toBe('s');
  });
});

describe('transcript', () => {
  const render = (role: 'user' | 'assistant', text: string) =>
    renderToStaticMarkup(<TranscriptBody m={{ role, text, status: 'complete', created_at: '2026-01-01T00:00:00Z' }} />);

  it('shows visitor text as text, never markup', () => {
    const html = render('user', '<img src=x onerror=alert(1)> **bold**');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; **bold**');
  });
  it('renders agent markdown the widget way: no raw HTML, no script links, no remote images', () => {
    const html = render('assistant', '**ok** <script>alert(1)</script> [x](javascript:alert(1)) ![i](https://evil.example/p.png) [y](https://shop.example)');
    expect(html).toContain('<strong>ok</strong>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('<img');
    expect(html).toContain('href="https://shop.example/"');
    expect(html).toContain('rel="noopener noreferrer nofollow"');
  });
});
