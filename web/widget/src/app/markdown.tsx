// Renders assistant Markdown as React elements, never as an HTML string: marked's lexer
// turns the text into tokens and this file maps each token to an element, so raw HTML in the
// answer can only ever show up as text (there is no innerHTML anywhere). Links survive only
// with https: or mailto: targets and open in a new tab without an opener; images render only
// when the site allows remote images and the host is on its list, otherwise just their alt text,
// so an answer cannot make the browser fetch an attacker's URL (Markdown-image exfiltration).

import { Lexer, type Token, type Tokens } from 'marked';
import { createElement, Fragment, type ReactNode } from 'react';

export interface MarkdownOptions {
  allowImages: boolean;
  /** Lower-case host names images may come from (exact, or "*.example.com" for subdomains). */
  imageHosts: string[];
}

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', colon: ':', tab: '\t',
  newline: '\n', sol: '/', lpar: '(', rpar: ')', period: '.', comma: ',', excl: '!', num: '#',
  percnt: '%', hellip: '…', mdash: '—', ndash: '–', laquo: '«', raquo: '»', copy: '©',
  reg: '®', trade: '™', euro: '€', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', bull: '•',
  middot: '·', times: '×', deg: '°',
};

/** Decodes HTML character references (numeric ones and the common named ones). */
export function decodeEntities(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z][a-zA-Z0-9]{1,31});?/g, (all, ref: string) => {
    if (ref.charAt(0) === '#') {
      const hex = ref.charAt(1) === 'x' || ref.charAt(1) === 'X';
      const code = parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    const named = NAMED[ref.toLowerCase()];
    return named !== undefined && all.endsWith(';') ? named : all;
  });
}

/**
 * Returns a safe href for a link target, or null. The target is decoded the way a browser
 * would read it (entities, then control characters and whitespace dropped) before its scheme
 * is checked, so "jav&#x61;script:", "JaVaScRiPt:" or "java\tscript:" never pass.
 */
export function safeLinkHref(raw: string, decode = true): string | null {
  const decoded = (decode ? decodeEntities(raw) : raw).replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  let url: URL;
  try {
    url = new URL(decoded);
  } catch {
    return null; // relative or malformed: nothing to open from inside the chat frame
  }
  if (url.protocol === 'https:') return url.hostname ? url.href : null;
  if (url.protocol === 'mailto:') return url.href;
  return null;
}

/** Returns a safe image src, or null when images are off or the host is not allowed. */
export function safeImageSrc(raw: string, opts: MarkdownOptions): string | null {
  if (!opts.allowImages) return null;
  const href = safeLinkHref(raw);
  if (!href || !href.startsWith('https:')) return null;
  const host = new URL(href).hostname.toLowerCase();
  const allowed = opts.imageHosts.some((h) => {
    const rule = h.toLowerCase();
    return rule.startsWith('*.') ? host.endsWith(rule.slice(1)) && host.length > rule.length - 1 : host === rule;
  });
  return allowed ? href : null;
}

type Render = (tokens: Token[] | undefined, key: string) => ReactNode[];

function inline(tokens: Token[] | undefined, opts: MarkdownOptions, key: string): ReactNode[] {
  return (tokens || []).map((t, i) => inlineToken(t, opts, `${key}.${i}`));
}

function inlineToken(token: Token, opts: MarkdownOptions, key: string): ReactNode {
  const kids: Render = (tokens, k) => inline(tokens, opts, k);
  const t = token as Tokens.Generic;
  switch (token.type) {
    case 'text':
      return t.tokens ? createElement(Fragment, { key }, ...kids(t.tokens, key)) : decodeEntities(String(t.text));
    case 'escape':
      return String(t.text);
    case 'strong':
      return createElement('strong', { key }, ...kids(t.tokens, key));
    case 'em':
      return createElement('em', { key }, ...kids(t.tokens, key));
    case 'del':
      return createElement('del', { key }, ...kids(t.tokens, key));
    case 'codespan':
      return createElement('code', { key }, String(t.text));
    case 'br':
      return createElement('br', { key });
    case 'link': {
      const link = token as Tokens.Link;
      const href = safeLinkHref(link.href, !link.autolink);
      const label = kids(link.tokens, key);
      if (!href) return createElement(Fragment, { key }, ...label);
      return createElement('a', { key, href, target: '_blank', rel: 'noopener noreferrer nofollow' }, ...label);
    }
    case 'image': {
      const img = token as Tokens.Image;
      const src = safeImageSrc(img.href, opts);
      const alt = decodeEntities(img.text || '');
      if (!src) return alt;
      return createElement('img', { key, src, alt, loading: 'lazy', referrerPolicy: 'no-referrer', decoding: 'async' });
    }
    case 'checkbox':
      return (token as Tokens.Checkbox).checked ? '☑ ' : '☐ ';
    default:
      // Raw HTML ('html', 'tag') and anything unknown is shown as the text it was written as.
      return String(t.raw ?? t.text ?? '');
  }
}

function block(tokens: Token[], opts: MarkdownOptions, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  tokens.forEach((token, i) => {
    const node = blockToken(token, opts, `${key}.${i}`);
    if (node !== null) out.push(node);
  });
  return out;
}

function blockToken(token: Token, opts: MarkdownOptions, key: string): ReactNode {
  const t = token as Tokens.Generic;
  switch (token.type) {
    case 'space':
    case 'def':
      return null;
    case 'paragraph':
      return createElement('p', { key }, ...inline(t.tokens, opts, key));
    case 'heading':
      return createElement('p', { key, className: 'md-heading' }, createElement('strong', null, ...inline(t.tokens, opts, key)));
    case 'code':
      return createElement('pre', { key }, createElement('code', null, String(t.text)));
    case 'blockquote':
      return createElement('blockquote', { key }, ...block(t.tokens || [], opts, key));
    case 'hr':
      return createElement('hr', { key });
    case 'list': {
      const list = token as Tokens.List;
      const items = list.items.map((item, i) =>
        createElement('li', { key: `${key}.${i}` }, ...block(item.tokens, opts, `${key}.${i}`)),
      );
      return list.ordered
        ? createElement('ol', { key, start: typeof list.start === 'number' && list.start !== 1 ? list.start : undefined }, ...items)
        : createElement('ul', { key }, ...items);
    }
    case 'table': {
      const table = token as Tokens.Table;
      const cell = (c: Tokens.TableCell, tag: 'th' | 'td', k: string) => createElement(tag, { key: k }, ...inline(c.tokens, opts, k));
      const head = createElement('tr', null, ...table.header.map((c, i) => cell(c, 'th', `${key}.h${i}`)));
      const rows = table.rows.map((row, r) => createElement('tr', { key: `${key}.r${r}` }, ...row.map((c, i) => cell(c, 'td', `${key}.${r}.${i}`))));
      return createElement('div', { key, className: 'md-table' }, createElement('table', null, createElement('thead', null, head), createElement('tbody', null, ...rows)));
    }
    case 'text':
      // Text directly inside a tight list item.
      return createElement(Fragment, { key }, ...(t.tokens ? inline(t.tokens, opts, key) : [decodeEntities(String(t.text))]));
    default:
      // Block-level raw HTML and anything unknown becomes a plain-text paragraph.
      return createElement('p', { key }, String(t.raw ?? t.text ?? '').trim());
  }
}

/** Renders assistant Markdown as safe React nodes. */
export function renderMarkdown(source: string, opts: MarkdownOptions): ReactNode[] {
  const tokens = Lexer.lex(source, { gfm: true, breaks: true });
  return block(tokens as Token[], opts, 'md');
}
