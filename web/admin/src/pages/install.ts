// The texts the Install page builds: the embed snippet and the shop's CSP lines
// (web/widget/README.md, "Content-Security-Policy").

const STORE_KEY = 'chatproxy-console:public-url';

/** The origin (scheme://host[:port]) of a URL the operator typed, or '' when it is not one. */
export function originOf(url: string): string {
  try {
    const u = new URL(url.trim());
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : '';
  } catch {
    return '';
  }
}

/** chatproxy's public origin: from the server (the page's meta tag), else what was typed last. */
export function publicOrigin(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="chatproxy-public-url"]')?.content ?? '';
  if (originOf(meta)) return originOf(meta);
  try {
    return window.localStorage.getItem(STORE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function rememberPublicOrigin(value: string): void {
  try {
    window.localStorage.setItem(STORE_KEY, value);
  } catch {
    // storage refused: the field still works for this page
  }
}

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function embedSnippet(origin: string, siteId: string): string {
  const o = originOf(origin) || 'https://chat.example.com';
  return `<script src="${attr(o)}/embed.js" data-site-id="${attr(siteId)}" async></script>`;
}

export function shopCSP(origin: string): string {
  const o = originOf(origin) || 'https://chat.example.com';
  return `script-src  'self' ${o};\nframe-src   ${o};\nconnect-src 'self' ${o};`;
}
