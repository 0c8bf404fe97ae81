// DOM helpers for the loader. Everything is built with createElement/createElementNS and
// styled through element.style (CSSOM), so a strict host CSP (no 'unsafe-inline', Trusted
// Types) never blocks the widget: no innerHTML, no <style>, no inline event attributes.

export type Style = Partial<Record<keyof CSSStyleDeclaration, string>>;

export function css(el: HTMLElement | SVGElement, style: Style): void {
  Object.assign(el.style, style);
}

export function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  attrs: Record<string, string> = {},
  style: Style = {},
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  for (const name of Object.keys(attrs)) node.setAttribute(name, attrs[name] as string);
  css(node, style);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** 24×24 outline icons, drawn with currentColor. */
const ICONS: Record<string, string> = {
  chat: 'M4 5h16a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H9l-5 4v-4H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z',
  help: 'M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20zM9.1 9a3 3 0 0 1 5.8 1c0 2-3 3-3 3M12 17h.01',
  close: 'M6 6l12 12M18 6L6 18',
};

/** An icon by name ("chat" when unknown), sized to `px`. */
export function icon(doc: Document, name: string, px: number): SVGSVGElement {
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(px));
  svg.setAttribute('height', String(px));
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = doc.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICONS[name] || (ICONS.chat as string));
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '2');
  path.setAttribute('stroke-linecap', 'round');
  path.setAttribute('stroke-linejoin', 'round');
  svg.appendChild(path);
  return svg;
}

/** Accepts only plain colour syntaxes, so a site config can never smuggle other CSS in. */
export function safeColor(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  return /^#[0-9a-f]{3,8}$/i.test(v) || /^(rgb|rgba|hsl|hsla)\([\d\s.,%/deg]+\)$/i.test(v) ? v : null;
}

/** Loader texts: English and Russian; anything else falls back to English. */
const TEXTS = {
  en: { open: 'Open chat', close: 'Close chat', frame: 'Chat', unread: 'unread' },
  ru: { open: 'Открыть чат', close: 'Закрыть чат', frame: 'Чат', unread: 'непрочитанных' },
};

export type LoaderTexts = (typeof TEXTS)['en'];

export function loaderTexts(lang: string, nav: Navigator): LoaderTexts {
  const code = (lang || nav.language || 'en').toLowerCase().slice(0, 2);
  return code === 'ru' ? TEXTS.ru : TEXTS.en;
}
