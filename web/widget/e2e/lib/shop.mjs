// The "shop": a static site on 127.0.0.1 (cross-site from the proxy on localhost) whose pages
// embed the widget under a strict CSP — no 'unsafe-inline' anywhere and Trusted Types
// enforced — the same policy the README recommends to shops. If the loader injected inline
// styles or scripts, or used innerHTML, the browser would block it and the tests would fail.
import { createServer } from 'node:http';

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
  };
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
