// The e2e world: the fake n8n, a static "shop" site on 127.0.0.1 (a different site from the
// proxy on localhost), and the real chatproxy binary configured for both.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeN8n } from '../fake-n8n.mjs';
import { startRelay } from './relay.mjs';
import { startShop } from './shop.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const WIDGET_DIR = resolve(HERE, '../..');

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

async function waitHealthy(url, proc, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`chatproxy exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`chatproxy did not answer ${url} within ${timeoutMs} ms`);
}

/** Site "slow" refuses a first message sooner than this after its session was created. */
export const SLOW_SITE_DELAY_MS = 1500;

function sitesYaml({ shopOrigin, proxyOrigin, relayOrigin, webhook, secret }) {
  return `sites:
  - id: shop
    name: E2E shop
    allowed_origins: ["${shopOrigin}", "${proxyOrigin}", "${relayOrigin}"]
    n8n_webhook_url: "${webhook}"
    signing: {algorithm: HS256, secret: "${secret}"}
    abuse: {min_first_message_delay_ms: -1}
    limits: {session_per_minute: 1000, ip_per_minute: 10000, sessions_per_ip_per_hour: 10000, concurrent_streams_per_ip: 100}
    widget: {title: "E2E Shop", welcome: "Hi! Ask me anything.", suggestions: ["Shipping?", "Returns?"]}
  - id: slow
    name: E2E shop with the bot rule on
    allowed_origins: ["${shopOrigin}", "${proxyOrigin}"]
    n8n_webhook_url: "${webhook}"
    signing: {algorithm: HS256, secret: "${secret}"}
    abuse: {min_first_message_delay_ms: ${SLOW_SITE_DELAY_MS}}
    limits: {session_per_minute: 1000, ip_per_minute: 10000, sessions_per_ip_per_hour: 10000, concurrent_streams_per_ip: 100}
    widget: {title: "E2E Slow Shop", welcome: "Hi! Ask me anything.", suggestions: ["Shipping?", "Returns?"]}
  - id: stats
    name: E2E shop whose analytics are checked
    allowed_origins: ["${shopOrigin}", "${proxyOrigin}"]
    n8n_webhook_url: "${webhook}"
    signing: {algorithm: HS256, secret: "${secret}"}
    abuse: {min_first_message_delay_ms: -1}
    widget: {title: "E2E Stats Shop", welcome: "Hi! Ask me anything."}
  - id: optin
    name: E2E shop asking consent first
    allowed_origins: ["${shopOrigin}", "${proxyOrigin}"]
    n8n_webhook_url: "${webhook}"
    signing: {algorithm: HS256, secret: "${secret}"}
    abuse: {min_first_message_delay_ms: -1}
    consent: opt_in
    privacy_policy_url: "https://shop.example/privacy"
    limits: {session_per_minute: 1000, ip_per_minute: 10000, sessions_per_ip_per_hour: 10000, concurrent_streams_per_ip: 100}
    widget: {title: "E2E Opt-in Shop", welcome: "Hi! Ask me anything."}
`;
}

/** Makes a console owner with the CLI and returns an API token of it (analytics checks). */
function consoleToken(bin, env) {
  const email = 'e2e-owner@example.com';
  const run = (args, input) => {
    const r = spawnSync(bin, args, { env, input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`chatproxy ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  run(['admin', 'add', '--email', email, '--role', 'owner', '--password-stdin'], 'e2e correct horse battery\n');
  const out = run(['admin', 'token', '--email', email, '--name', 'e2e']);
  const m = /cpa_[A-Za-z0-9_-]+/.exec(out);
  if (!m) throw new Error(`no token in: ${out}`);
  return m[0];
}

/** Starts everything; returns the handles and a stop() that undoes it all. */
export async function startEnv() {
  const bin = resolve(WIDGET_DIR, process.env.CHATPROXY_BIN || '../../bin/chatproxy');
  if (!existsSync(bin)) throw new Error(`no chatproxy binary at ${bin}: run \`make build\` first (or set CHATPROXY_BIN)`);
  const secret = randomBytes(32).toString('hex');
  const fake = await startFakeN8n({ secret });
  const [proxyPort, shopPort, relayPort, adminPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const proxyOrigin = `http://localhost:${proxyPort}`;
  // The same proxy reached through a relay the resilience tests can cut (shop pages with ?relay=1).
  const relayOrigin = `http://localhost:${relayPort}`;
  const relay = await startRelay({ port: relayPort, target: proxyPort });
  const shop = await startShop({ port: shopPort, proxyOrigin, relayOrigin });
  const dataDir = mkdtempSync(join(tmpdir(), 'chatproxy-e2e-'));
  const sitesFile = join(dataDir, 'sites.yaml');
  writeFileSync(sitesFile, sitesYaml({ shopOrigin: shop.origin, proxyOrigin, relayOrigin, webhook: fake.url, secret }));

  const env = { ...process.env };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'N8N_WEBHOOK_URL']) delete env[key];
  Object.assign(env, {
    CHATPROXY_ADDR: `127.0.0.1:${proxyPort}`,
    CHATPROXY_DATA_DIR: dataDir,
    CHATPROXY_METRICS_ADDR: '127.0.0.1:0',
    CHATPROXY_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
    CHATPROXY_SITES_FILE: sitesFile,
  });
  const proc = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-20000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  try {
    await waitHealthy(`${proxyOrigin}/health`, proc);
  } catch (err) {
    proc.kill('SIGKILL');
    await fake.close();
    await shop.close();
    await relay.close();
    throw new Error(`${err.message}\n--- chatproxy output ---\n${log}`);
  }
  const adminToken = consoleToken(bin, env);
  return {
    adminOrigin: `http://127.0.0.1:${adminPort}`,
    adminToken,
    fake,
    shop,
    relay,
    proxyOrigin,
    relayOrigin,
    proxyPort,
    dataDir,
    /** One integer from the server's SQLite database (read with the sqlite3 command). */
    sql(query) {
      const out = execFileSync('sqlite3', [join(dataDir, 'chatproxy.db'), query], { encoding: 'utf8' });
      return Number(out.trim());
    },
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => {
          proc.kill('SIGKILL');
          r();
        }, 8000);
        proc.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
      await fake.close();
      await shop.close();
      await relay.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
