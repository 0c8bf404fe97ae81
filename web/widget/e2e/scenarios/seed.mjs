// The seed's old widget, driven with its exact requests the way it sends them: a page on the
// proxy's own origin (the old layout: one host serving the page and forwarding /api/) creates a
// session with {origin_domain: location.hostname, page_url: location.href} — no site_id — through
// fetch with credentials, then chats on the cookie alone: POST /api/v1/chat/message read as SSE,
// the EventSource GET /api/v1/chat/stream?message=, and GET /api/v1/chat/history/{session_id}.
import assert from 'node:assert/strict';
import { echoAnswer } from '../fake-n8n.mjs';
import { withBrowser } from '../lib/browser.mjs';

const SEED_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Old shop</title></head>
<body><h1>A shop page with the seed's chat widget</h1></body></html>`;

/** Runs in the page: the seed widget's calls, in its order. */
async function seedWidgetFlow({ first, second }) {
  const json = async (res) => ({ status: res.status, body: await res.json().catch(() => null) });
  const created = await json(
    await fetch('/api/v1/session/create', {
      method: 'POST',
      credentials: 'include',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ origin_domain: window.location.hostname, page_url: window.location.href }),
    }),
  );
  if (created.status !== 200) return { created };
  const sessionId = created.body.session_id;
  const textOf = (raw) =>
    raw
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
      .map((l) => JSON.parse(l.slice(6)))
      .filter((e) => e.type === 'item')
      .map((e) => e.content)
      .join('');
  const post = await fetch('/api/v1/chat/message', {
    method: 'POST',
    credentials: 'include',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify({ message: first, session_id: sessionId }),
  });
  const posted = { status: post.status, text: textOf(await post.text()) };
  const streamed = await new Promise((resolve) => {
    const es = new EventSource(`/api/v1/chat/stream?message=${encodeURIComponent(second)}`, { withCredentials: true });
    let text = '';
    const end = (error) => {
      es.close();
      resolve({ text, error });
    };
    es.onmessage = (e) => {
      if (e.data === '[DONE]') return end('');
      const ev = JSON.parse(e.data);
      if (ev.type === 'item') text += ev.content;
    };
    es.onerror = () => end('EventSource error');
    setTimeout(() => end('timeout'), 20000);
  });
  // An answer is stored as its stream ends: poll briefly for the last one.
  let history;
  for (let i = 0; i < 50; i++) {
    history = await json(await fetch(`/api/v1/chat/history/${sessionId}`, { credentials: 'include' }));
    if (history.status !== 200 || history.body.messages.length >= 4) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { created, posted, streamed, history };
}

export const tests = [
  {
    name: "seed widget on the proxy's own origin: session from origin_domain = location.hostname, then POST SSE, EventSource GET and history on the cookie",
    async run(env) {
      // localhost is one of the site's allowed origins; 127.0.0.1 (same server, another origin)
      // is not, so there the site is found from origin_domain alone.
      for (const origin of [env.proxyOrigin, `http://127.0.0.1:${env.proxyPort}`]) {
        await withBrowser({}, async ({ context }) => {
          const url = `${origin}/seed/shop.html`;
          await context.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: SEED_PAGE }));
          const page = await context.newPage();
          await page.goto(url);
          const first = `Old widget, first question via ${origin}`;
          const second = `Old widget, second question via ${origin}`;
          const r = await page.evaluate(seedWidgetFlow, { first, second });
          assert.equal(r.created.status, 200, `${origin}: session/create answered ${JSON.stringify(r.created)}`);
          const cookies = await context.cookies(origin);
          assert.ok(cookies.some((c) => c.name === 'chat_session_id' && c.httpOnly), `${origin}: no chat_session_id cookie`);
          assert.equal(r.posted.status, 200, `${origin}: POST /chat/message ${r.posted.status}`);
          assert.equal(r.posted.text, echoAnswer(first));
          assert.deepEqual(r.streamed, { text: echoAnswer(second), error: '' }, `${origin}: EventSource GET`);
          assert.equal(r.history.status, 200);
          assert.deepEqual(
            r.history.body.messages.map((m) => [m.role, m.content]),
            [
              ['user', first],
              ['assistant', echoAnswer(first)],
              ['user', second],
              ['assistant', echoAnswer(second)],
            ],
          );
          assert.equal(env.fake.count(first), 1);
          assert.equal(env.fake.count(second), 1);
        });
      }
    },
  },
];
