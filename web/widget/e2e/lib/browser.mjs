// Launches Debian's Chromium through playwright-core (no downloaded browsers), each launch
// with a fresh profile so no test sees another's cookies or storage.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
 * A persistent context on a new temporary profile. `thirdPartyCookies` is the browser's
 * cookie setting: 'allow' (Chrome's default for most users) or 'block' (incognito, Brave,
 * users who chose it; blocked third-party cookies also deny localStorage to a cross-site
 * iframe in this Chromium). `extraArgs` adds Chromium switches. Returns { context, close }.
 */
export async function launch({ thirdPartyCookies = 'allow', extraArgs = [], viewport = { width: 1280, height: 800 }, ...options } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'chatproxy-e2e-profile-'));
  mkdirSync(join(profile, 'Default'));
  // profile.cookie_controls_mode: 0 = allow third-party cookies, 1 = block them (2 = only in incognito).
  const prefs = { profile: { cookie_controls_mode: thirdPartyCookies === 'block' ? 1 : 0 } };
  writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify(prefs));
  if (thirdPartyCookies === 'block') extraArgs = ['--test-third-party-cookie-phaseout', ...extraArgs];
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

// withBrowser launches a fresh Chromium (options as for launch), runs fn with its context and
// always closes it, so no scenario leaks a browser or a profile directory.
export async function withBrowser(options, fn) {
  const { context, close } = await launch(options);
  try {
    return await fn({ context });
  } finally {
    await close();
  }
}
