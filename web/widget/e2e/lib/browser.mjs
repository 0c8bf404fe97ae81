// Launches Debian's Chromium through playwright-core (no downloaded browsers), each launch
// with a fresh profile so no test sees another's cookies or storage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const BASE_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * A persistent context on a new temporary profile. `extraArgs` adds Chromium switches
 * (e.g. third-party cookie blocking). Returns { context, close }.
 */
export async function launch({ extraArgs = [], viewport = { width: 1280, height: 800 }, ...options } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'chatproxy-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_ARGS, ...extraArgs],
    viewport,
    ...options,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
