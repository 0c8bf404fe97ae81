// The console e2e world: a fake n8n over https (console sites take https webhooks only; its
// self-signed certificate is the only root chatproxy trusts here, through SSL_CERT_FILE), a
// shop on 127.0.0.1 whose page and CSP are whatever the test copied from the console, and the
// real chatproxy binary on a fresh SQLite directory with no account, so it logs a setup link.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeN8n } from '../../../widget/e2e/fake-n8n.mjs';
import { freePort } from '../../../widget/e2e/lib/env.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ADMIN_DIR = resolve(HERE, '../..');

function selfSignedCert(dir) {
  const key = join(dir, 'n8n.key');
  const cert = join(dir, 'n8n.crt');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert), certFile: cert };
}

/** A shop whose one page embeds `snippet` under the CSP `csp`, both set by the test. */
async function startShop(port) {
  const state = { snippet: '', csp: "default-src 'self'" };
  const server = createServer((req, res) => {
    if (req.url !== '/') return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': state.csp });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Console e2e shop</title>${state.snippet}</head><body><main><h1>Console e2e shop</h1><p>A product page.</p></main></body></html>`);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${port}`,
    set(snippet, csp) {
      state.snippet = snippet;
      state.csp = csp;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export async function startEnv() {
  const bin = resolve(ADMIN_DIR, process.env.CHATPROXY_BIN || '../../bin/chatproxy');
  if (!existsSync(bin)) throw new Error(`no chatproxy binary at ${bin}: run \`make build\` first (or set CHATPROXY_BIN)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'chatproxy-admin-e2e-'));
  const tls = selfSignedCert(dataDir);
  const fake = await startFakeN8n({ tls: { key: tls.key, cert: tls.cert } });
  const [proxyPort, adminPort, shopPort] = [await freePort(), await freePort(), await freePort()];
  const shop = await startShop(shopPort);
  const proxyOrigin = `http://localhost:${proxyPort}`;
  const adminOrigin = `http://127.0.0.1:${adminPort}`;
  const env = { ...process.env };
  for (const key of ['DATABASE_URL', 'REDIS_URL', 'N8N_WEBHOOK_URL', 'CHATPROXY_SITES_FILE', 'CHATPROXY_ADMIN_URL']) delete env[key];
  Object.assign(env, {
    CHATPROXY_ADDR: `127.0.0.1:${proxyPort}`,
    CHATPROXY_PUBLIC_URL: proxyOrigin,
    CHATPROXY_ADMIN_ADDR: `127.0.0.1:${adminPort}`,
    CHATPROXY_DATA_DIR: dataDir,
    CHATPROXY_METRICS_ADDR: '127.0.0.1:0',
    CHATPROXY_ALLOW_PRIVATE_UPSTREAM: 'true',
    SSL_CERT_FILE: tls.certFile,
  });
  const proc = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (chunk) => {
    log = (log + chunk.toString()).slice(-50000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  const stop = async () => {
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
    rmSync(dataDir, { recursive: true, force: true });
  };
  let setupURL = '';
  try {
    const until = Date.now() + 30000;
    while (!setupURL) {
      if (proc.exitCode !== null) throw new Error(`chatproxy exited with ${proc.exitCode}`);
      if (Date.now() > until) throw new Error('chatproxy printed no setup link within 30 s');
      setupURL = /(http:\/\/[^\s"]+\/admin\/setup\?token=[A-Za-z0-9_-]+)/.exec(log)?.[1] ?? '';
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw new Error(`${err.message}\n--- chatproxy output ---\n${log}`);
  }
  return { fake, shop, proxyOrigin, adminOrigin, setupURL, log: () => log, stop };
}
