// The official @n8n/chat widget, as published on npm, for the drop-in endpoint's e2e tests.
// `npm install @n8n/chat` fails here (its @n8n/design-system dependency is not on the
// registry), but `npm pack` fetches the package alone (npm checks its integrity), and its
// dist/chat.bundle.es.js (with the chunks it imports from its directory) and dist/style.css
// need nothing else. The tarball and its contents
// are cached outside the repository: $CHATPROXY_CACHE_DIR, else ~/.cache/chatproxy.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const N8N_CHAT_VERSION = '1.37.0';

const CACHE = process.env.CHATPROXY_CACHE_DIR || join(homedir(), '.cache', 'chatproxy');
const DIR = join(CACHE, `n8n-chat-${N8N_CHAT_VERSION}`);

/** The unpacked package's dist directory, fetched once with `npm pack`. */
export function n8nChatDist() {
  const dist = join(DIR, 'package', 'dist');
  if (existsSync(join(dist, 'chat.bundle.es.js')) && existsSync(join(dist, 'style.css'))) return dist;
  mkdirSync(DIR, { recursive: true });
  const tgz = `n8n-chat-${N8N_CHAT_VERSION}.tgz`;
  if (!readdirSync(DIR).includes(tgz)) {
    execFileSync('npm', ['pack', `@n8n/chat@${N8N_CHAT_VERSION}`, '--pack-destination', DIR, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  execFileSync('tar', ['xzf', join(DIR, tgz), '-C', DIR]);
  if (!existsSync(join(dist, 'chat.bundle.es.js'))) throw new Error(`@n8n/chat ${N8N_CHAT_VERSION}: no dist/chat.bundle.es.js in the tarball`);
  return dist;
}

/** The shop page that embeds the widget the way n8n's README shows, pointed at chatproxy. */
export function n8nChatPage({ webhookUrl, stream }) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop with @n8n/chat</title>
<link rel="stylesheet" href="/shop.css">
<link rel="stylesheet" href="/n8n-chat/style.css">
<script type="module" src="/n8n-chat-start.js?stream=${stream ? 1 : 0}&webhook=${encodeURIComponent(webhookUrl)}"></script>
</head>
<body>
<header class="bar"><strong>E2E Shop</strong> <a href="/">Home</a></header>
<main>
<h1>Linen throw</h1>
<p class="price">€42.00</p>
<p>This shop kept n8n's own chat widget and changed one line: its webhookUrl.</p>
</main>
</body>
</html>`;
}

/** The page's module: createChat with the query's webhook and streaming switch. */
export const N8N_CHAT_START = `import { createChat } from '/n8n-chat/chat.bundle.es.js';
const q = new URL(import.meta.url).searchParams;
createChat({ webhookUrl: q.get('webhook'), enableStreaming: q.get('stream') === '1', mode: 'window' });
`;
