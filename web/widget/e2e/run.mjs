// Browser end-to-end tests: Debian's Chromium (via playwright-core) against the real
// chatproxy binary and a fake n8n. Usage: npm run e2e [-- name-filter]
// Env: CHATPROXY_BIN (default ../../bin/chatproxy), CHROMIUM_PATH (default /usr/bin/chromium).
import { existsSync, mkdirSync } from 'node:fs';
import { CHROMIUM } from './lib/browser.mjs';
import { startEnv } from './lib/env.mjs';
import { tests as analytics } from './scenarios/analytics.mjs';
import { SCREENSHOTS, tests as chat } from './scenarios/chat.mjs';
import { tests as n8nchat } from './scenarios/n8nchat.mjs';
import { tests as privacy } from './scenarios/privacy.mjs';
import { tests as resilience } from './scenarios/resilience.mjs';
import { tests as security } from './scenarios/security.mjs';
import { tests as seed } from './scenarios/seed.mjs';
import { tests as storage } from './scenarios/storage.mjs';
import { tests as ui } from './scenarios/ui.mjs';

const TEST_TIMEOUT_MS = 90000;

function withTimeout(promise, ms, name) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`e2e: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
    process.exit(1);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const filter = process.argv[2] ?? '';
  const all = [...chat, ...n8nchat, ...seed, ...resilience, ...storage, ...security, ...ui, ...analytics, ...privacy].filter((t) => t.name.includes(filter));
  const env = await startEnv();
  let passed = 0;
  let failed = 0;
  try {
    for (const t of all) {
      const started = Date.now();
      try {
        await withTimeout(t.run(env), TEST_TIMEOUT_MS, t.name);
        passed++;
        console.log(`ok   ${t.name} (${Date.now() - started} ms)`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${t.name} (${Date.now() - started} ms)\n     ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
      }
    }
  } finally {
    await env.stop();
  }
  if (failed > 0 && process.env.E2E_SHOW_LOG) console.log(`--- chatproxy output ---\n${env.log()}`);
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
