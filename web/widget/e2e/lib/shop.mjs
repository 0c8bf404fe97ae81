// The "shop": a static site on 127.0.0.1 (cross-site from the proxy on localhost) whose pages
// embed the widget under a strict CSP — no 'unsafe-inline' anywhere and Trusted Types
// enforced — the same policy the README recommends to shops. If the loader injected inline
// styles or scripts, or used innerHTML, the browser would block it and the tests would fail.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { N8N_CHAT_START, n8nChatDist, n8nChatPage } from './n8nchat.mjs';

function page({ title, proxyOrigin, siteId = 'shop', embedAttrs = '', twice = false }) {
  const tag = `<script src="${proxyOrigin}/embed.js" data-site-id="${siteId}"${embedAttrs} async></script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="stylesheet" href="/shop.css">
${tag}
${twice ? tag : ''}
</head>
<body>
<header class="bar"><strong>E2E Shop</strong> <a href="/">Home</a> <a href="/checkout">Checkout</a></header>
<main>
<h1>${title}</h1>
<p class="price">€42.00</p>
<p>A product page on a different site from the chat proxy. The chat button in the corner is drawn by embed.js.</p>
${'<p>Filler text so the page scrolls. </p>'.repeat(30)}
</main>
</body>
</html>`;
}

const CSS = `body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#fafaf9;color:#1c1917}
.bar{display:flex;gap:16px;padding:16px 24px;background:#fff;border-bottom:1px solid #e7e5e4}
main{max-width:760px;margin:32px auto;padding:0 24px}.price{font-size:22px;font-weight:600}`;

export function shopCSP(proxyOrigin) {
  return [
    "default-src 'self'",
    `script-src 'self' ${proxyOrigin}`,
    `frame-src ${proxyOrigin}`,
    `connect-src ${proxyOrigin}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "require-trusted-types-for 'script'",
  ].join('; ');
}

function pagesFor(proxyOrigin) {
  return {
    '/': page({ title: 'Linen throw', proxyOrigin }),
    '/other': page({ title: 'Another product', proxyOrigin }),
    '/twice': page({ title: 'Embedded twice', proxyOrigin, twice: true }),
    '/checkout': page({ title: 'Checkout', proxyOrigin, embedAttrs: ' data-hide-on="/checkout"' }),
    // Site "slow" has the bot rule on: no first message sooner than SLOW_SITE_DELAY_MS.
    '/slow': page({ title: 'A shop with the bot rule on', proxyOrigin, siteId: 'slow' }),
    // Site "stats" is used by the analytics test alone, so its numbers are exactly that test's.
    '/stats': page({ title: 'A shop whose analytics are checked', proxyOrigin, siteId: 'stats' }),
    // Site "optin" stores nothing before the visitor accepts (docs/privacy.md#consent).
    '/optin': page({ title: 'A shop asking consent first', proxyOrigin, siteId: 'optin' }),
  };
}

// The page with n8n's own widget: its Vue bundle sets inline styles, so style-src allows them;
// scripts still come from the shop alone, and the widget may only connect to chatproxy.
function n8nChatCSP(proxyOrigin) {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `connect-src ${proxyOrigin}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Serves /n8nchat (?stream=1) and the @n8n/chat files; false when the path is not one of them. */
function serveN8nChat(path, url, res, proxyOrigin) {
  // The bundle imports its sibling chunks (*.mjs) from its own directory.
  const name = /^\/n8n-chat\/([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(m?js|css))$/.exec(path);
  const types = { js: 'text/javascript', mjs: 'text/javascript', css: 'text/css' };
  if (path === '/n8nchat') {
    const html = n8nChatPage({ webhookUrl: `${proxyOrigin}/api/v1/n8n/shop`, stream: url.searchParams.get('stream') === '1' });
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': n8nChatCSP(proxyOrigin), 'Cache-Control': 'no-store' });
    res.end(html);
  } else if (path === '/n8n-chat-start.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(N8N_CHAT_START);
  } else if (name && existsSync(join(n8nChatDist(), name[1]))) {
    res.writeHead(200, { 'Content-Type': types[name[2]] }).end(readFileSync(join(n8nChatDist(), name[1])));
  } else {
    return false;
  }
  return true;
}

/** Pages load embed.js from proxyOrigin, or from relayOrigin when the URL has ?relay=1. */
export async function startShop({ port, proxyOrigin, relayOrigin }) {
  const direct = { csp: shopCSP(proxyOrigin), pages: pagesFor(proxyOrigin) };
  const relayed = { csp: shopCSP(relayOrigin), pages: pagesFor(relayOrigin) };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = url.pathname;
    const { csp, pages } = url.searchParams.get('relay') === '1' ? relayed : direct;
    if (path === '/shop.css') {
      res.writeHead(200, { 'Content-Type': 'text/css' }).end(CSS);
      return;
    }
    if (serveN8nChat(path, url, res, proxyOrigin)) return;
    const body = pages[path];
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' });
    res.end(body);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
