// Reads the loader's options from its own <script> tag (data-* attributes) and from
// window.ChatProxyConfig, and works out the proxy origin from the script's src.

export type Side = 'left' | 'right';

export interface LoaderOptions {
  siteId: string;
  /** The chatproxy origin, taken from the loader's own src: the iframe and API live there. */
  origin: string;
  /** '' means "as the site's config says" (default right). */
  position: Side | '';
  offsetX: number;
  offsetY: number;
  zIndex: number;
  open: boolean;
  preload: boolean;
  hideOn: string[];
  lang: string;
}

type Raw = Record<string, unknown>;

/** The loader's <script>: currentScript while it runs, else the tag that names embed.js. */
export function findScript(doc: Document): HTMLScriptElement | null {
  const current = doc.currentScript as HTMLScriptElement | null;
  if (current && current.src) return current;
  return (
    doc.querySelector<HTMLScriptElement>('script[src*="embed.js"][data-site-id]') ||
    doc.querySelector<HTMLScriptElement>('script[src*="/embed.js"]')
  );
}

function num(v: unknown, fallback: number, max: number): number {
  const n = typeof v === 'number' ? v : parseInt(String(v), 10);
  return isFinite(n) && n >= 0 && n <= max ? n : fallback;
}

function bool(v: unknown): boolean {
  return v === true || v === '' || v === 'true' || v === '1';
}

function list(v: unknown): string[] {
  const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(',') : [];
  return items.map((s) => String(s).trim()).filter((s) => s.charAt(0) === '/');
}

/**
 * Merges window.ChatProxyConfig with the script's data-* attributes (attributes win).
 * Returns null when there is no site id or no usable origin.
 */
export function readOptions(script: HTMLScriptElement | null, config: unknown): LoaderOptions | null {
  const cfg: Raw = typeof config === 'object' && config !== null ? (config as Raw) : {};
  const data: Raw = script ? { ...script.dataset } : {};
  const pick = (key: string): unknown => (data[key] !== undefined ? data[key] : cfg[key]);
  let origin = '';
  try {
    origin = new URL(String(script ? script.src : cfg.origin)).origin;
  } catch {
    return null;
  }
  const siteId = String(pick('siteId') || '');
  if (!siteId || origin === 'null') return null;
  const position = pick('position');
  return {
    siteId,
    origin,
    position: position === 'left' || position === 'right' ? position : '',
    offsetX: num(pick('offsetX'), 20, 2000),
    offsetY: num(pick('offsetY'), 20, 2000),
    zIndex: num(pick('zIndex'), 2147483000, 2147483647),
    open: bool(pick('open')),
    preload: bool(pick('preload')),
    hideOn: list(pick('hideOn')),
    lang: String(pick('lang') || '').slice(0, 16),
  };
}

/**
 * True when `path` is hidden by a hide-on rule: "/checkout" hides /checkout and everything
 * below it; a trailing "*" ("/checkout*") makes the rule a plain prefix.
 */
export function pathHidden(path: string, rules: string[]): boolean {
  return rules.some((rule) => {
    if (rule.charAt(rule.length - 1) === '*') return path.indexOf(rule.slice(0, -1)) === 0;
    const base = rule.length > 1 && rule.charAt(rule.length - 1) === '/' ? rule.slice(0, -1) : rule;
    return path === base || path.indexOf(base === '/' ? '/' : base + '/') === 0;
  });
}
