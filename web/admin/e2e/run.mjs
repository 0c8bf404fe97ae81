// The console end to end in Debian's Chromium (playwright-core) against the real binary:
// first-run setup, a site whose webhook is the fake n8n, its snippet and CSP lines copied
// into a shop page, a chat on that shop, the conversation found in the console with its
// transcript, then every other page; axe-core on each page, screenshots of each (committed in
// e2e/screenshots, refreshed by `npm run e2e:screenshots`), markup in a site name and in
// messages shown as text, phone layout, keyboard-only sign-in. Usage: npm run e2e. Env: CHATPROXY_BIN, CHROMIUM_PATH.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { CHROMIUM, withBrowser } from '../../widget/e2e/lib/browser.mjs';
import { openChat, typeAndSend, waitAnswers } from '../../widget/e2e/lib/widget.mjs';
import { assertAccessible, assertNoSideScroll, axeViolations, heading, SCREENSHOTS, shot, watch } from './lib/console.mjs';
import { startEnv } from './lib/env.mjs';
import { currentStep, totp } from './lib/totp.mjs';

const EMAIL = 'owner@example.com';
const PASSWORD = 'correct horse battery staple';
const SITE_ID = 'e2e-shop';
// A site name and a visitor message with markup: both must show as text, run nothing.
const SITE_NAME = '<img src=x onerror="window.__pwned=1">Shop & Co';
const VISITOR_TEXT = '<img src=x onerror="window.__pwned=2"> where is my order? xss';
const TITLE = 'E2E Console Shop';
const COLOR = '#0f766e';

let passed = 0;

// Steps build on each other (the site, the session, the chat), so the first failure ends the run.
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    err.message = `${name}: ${err.message}`;
    throw err;
  }
  passed++;
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

async function consoleFlow(env) {
  const shared = {};
  await withBrowser({ viewport: { width: 1280, height: 900 } }, async ({ context }) => {
    try {
      await desktop(env, context, shared);
    } catch (err) {
      mkdirSync(new URL('./tmp/', import.meta.url), { recursive: true });
      await shared.page?.screenshot({ path: new URL('./tmp/failure.png', import.meta.url).pathname, fullPage: true }).catch(() => undefined);
      throw err;
    }
  });
  await phone(env);
  await twoFactor(env);
}

// Last, since it changes how the owner signs in: turn TOTP on, then sign in with a code.
async function twoFactor(env) {
  await step('two-factor: turned on with a code, then sign-in asks for one', async () => {
    await withBrowser({}, async ({ context }) => {
      const page = await context.newPage();
      await page.goto(`${env.adminOrigin}/admin/account`);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading(page, 'Your account');
      await page.getByRole('button', { name: 'Turn on' }).click();
      const secret = (await page.getByLabel('Key', { exact: true }).textContent()).trim();
      const step0 = currentStep();
      await page.getByLabel('Code', { exact: true }).fill(totp(secret, step0));
      await page.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText('On: sign-in asks for a code').waitFor();
      await assertAccessible(page, 'your account with two-factor');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await heading(page, 'Sign in to chatproxy');
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const code = page.getByLabel('Authentication code');
      await code.waitFor();
      await assertAccessible(page, 'sign-in code');
      await shot(page, 'login-totp');
      // The confirming code was used; the next step's is within the accepted skew.
      await code.fill(totp(secret, step0 + 1));
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading(page, 'Sites');
    });
  });
}

async function desktop(env, context, shared) {
  {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.adminOrigin });
    const page = await context.newPage();
    const problems = watch(page);
    shared.page = page;

    await step('setup: the first-run link creates the owner and signs in', async () => {
      const res = await page.goto(env.setupURL);
      const csp = res.headers()['content-security-policy'] ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline/);
      assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script');
      await heading(page, 'Set up chatproxy');
      await assertAccessible(page, 'setup');
      await shot(page, 'setup');
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password', { exact: false }).first().fill(PASSWORD);
      await page.getByLabel('Password again').fill(PASSWORD);
      await page.getByRole('button', { name: 'Create owner account' }).click();
      await heading(page, 'Sites');
      await page.locator('table, .empty').first().waitFor();
      await assertAccessible(page, 'sites (before ours)');
    });

    await step('site editor: a new site, the live preview shows the unsaved look and texts', async () => {
      await page.getByRole('link', { name: 'New site' }).click();
      await heading(page, 'New site');
      await page.getByLabel('Site id').fill(SITE_ID);
      await page.getByLabel('Name', { exact: true }).fill(SITE_NAME);
      await page.getByLabel('Shop origins').fill(env.shop.origin);
      await page.getByLabel('n8n webhook URL').fill(env.fake.url);
      await page.getByLabel('Title', { exact: true }).fill(TITLE);
      await page.locator('#f-widget-primary_color').fill(COLOR);
      await page.getByLabel('Welcome message').fill('Welcome to the **console** shop');
      await page.getByLabel('Suggested questions').fill('Where is my order?\nDo you ship abroad?');
      const frame = page.frameLocator('iframe[title="Widget preview"]');
      await frame.locator('#cp-title').filter({ hasText: TITLE }).waitFor();
      await frame.getByRole('button', { name: 'Do you ship abroad?' }).waitFor();
      const preview = page.frames().find((f) => f.url().endsWith('/admin/preview'));
      assert.ok(preview, 'preview frame');
      assert.equal(await preview.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--cp-primary').trim()), COLOR);
      // A colour the widget would refuse never reaches its CSS.
      await page.locator('#f-widget-primary_color').fill('red; background: url(https://evil.example/x)');
      await preview.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue('--cp-primary').trim() === '#4f46e5');
      await page.locator('#f-widget-primary_color').fill(COLOR);
      await preview.waitForFunction((c) => getComputedStyle(document.documentElement).getPropertyValue('--cp-primary').trim() === c, COLOR);
      // A message from another origin is ignored by the preview.
      await preview.evaluate(() => window.postMessage({ type: 'chatproxy:preview', site: { widget: { title: 'forged' } } }, '*'));
      await page.waitForTimeout(300);
      assert.equal(await preview.locator('#cp-title').textContent(), TITLE, 'the preview takes drafts from its parent only');
      assert.deepEqual(await axeViolations(preview), [], 'axe in the preview');
      await assertAccessible(page, 'site editor');
      await shot(page, 'site-editor');
      await page.getByRole('button', { name: 'Create site' }).click();
      await heading(page, /^Install /);
    });

    await step('install page: snippet, CSP lines and the n8n secret shown once; copy works', async () => {
      const secret = (await page.getByLabel('Secret', { exact: true }).textContent()).trim();
      assert.match(secret, /^[A-Za-z0-9_-]{40,}$/);
      env.fake.setSecret(secret);
      const snippet = (await page.getByLabel('Snippet', { exact: true }).textContent()).trim();
      assert.equal(snippet, `<script src="${env.proxyOrigin}/embed.js" data-site-id="${SITE_ID}" async></script>`);
      await page.getByRole('button', { name: 'Copy snippet' }).click();
      await page.getByText('Copied').first().waitFor();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), snippet, 'the copy button copies the snippet');
      shared.snippet = snippet;
      shared.csp = (await page.getByLabel('CSP lines', { exact: true }).textContent()).trim();
      assert.match(shared.csp, new RegExp(`frame-src +${env.proxyOrigin};`));
      await page.getByText('Passphrase', { exact: true }).waitFor();
      await assertAccessible(page, 'install');
      await shot(page, 'site-install');
      await page.reload();
      await heading(page, /^Install /);
      assert.equal(await page.getByLabel('Secret', { exact: true }).count(), 0, 'the secret is not shown again');
    });

    await step('sites list: the site name with markup is text', async () => {
      await page.getByRole('link', { name: 'Sites', exact: true }).click();
      await heading(page, 'Sites');
      await page.getByRole('link', { name: SITE_NAME, exact: true }).waitFor();
      assert.equal(await page.locator('main img').count(), 0);
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
      await assertAccessible(page, 'sites');
      await shot(page, 'sites');
    });
    await step('two editors of one site: the second save is refused, not lost (If-Match)', async () => {
      const other = await context.newPage();
      const url = `${env.adminOrigin}/admin/sites/${SITE_ID}`;
      await Promise.all([page.goto(url), other.goto(url)]);
      await heading(page, SITE_NAME);
      await heading(other, SITE_NAME);
      await page.getByLabel('Subtitle').fill('We answer in minutes');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.getByText('Saved.', { exact: false }).waitFor();
      await other.getByLabel('Subtitle').fill('A stale edit');
      await other.getByRole('button', { name: 'Save changes' }).click();
      await other.getByText('Someone changed this since you opened it', { exact: false }).waitFor();
      await other.close();
      await page.reload();
      await heading(page, SITE_NAME);
      assert.equal(await page.getByLabel('Subtitle').inputValue(), 'We answer in minutes');
    });
    problems.check('console pages (setup to sites)');

    await step('shop: the copied snippet under the copied CSP; a visitor chats', async () => {
      const csp = [
        "default-src 'self'", "style-src 'self'", "img-src 'self' data:", "object-src 'none'", "base-uri 'none'",
        "require-trusted-types-for 'script'",
        ...shared.csp.split('\n').map((l) => l.trim().replace(/;$/, '').replace(/\s+/g, ' ')),
      ].join('; ');
      env.shop.set(shared.snippet, csp);
      const shopPage = await context.newPage();
      const shopProblems = watch(shopPage);
      await shopPage.goto(`${env.shop.origin}/`);
      const chat = await openChat(shopPage);
      await typeAndSend(chat, VISITOR_TEXT);
      await waitAnswers(chat, 1);
      await chat.locator('.cp-bubble strong').filter({ hasText: 'your' }).waitFor();
      assert.equal(env.fake.count(VISITOR_TEXT), 1, 'the message reached n8n once, signed with the console secret');
      assert.equal(env.fake.rejected, 0);
      await shot(shopPage, 'shop-chat');
      shopProblems.check('shop');
      await shopPage.close();
    });

    await conversationSteps(page);

    await step('audit log: setup and site creation are recorded', async () => {
      await page.getByRole('link', { name: 'Audit log' }).click();
      await heading(page, 'Audit log');
      await page.locator('td', { hasText: 'site.create' }).first().waitFor();
      await page.locator('td', { hasText: 'auth.setup' }).first().waitFor();
      await assertAccessible(page, 'audit');
      await shot(page, 'audit');
    });

    await step('accounts: an owner adds a viewer', async () => {
      await page.getByRole('link', { name: 'Accounts' }).click();
      await heading(page, 'Accounts');
      const form = page.locator('form[aria-labelledby="new-account-title"]');
      await form.getByLabel('Email').fill('viewer@example.com');
      await form.getByLabel(/^Password/).fill('another long password');
      await form.locator('select').selectOption('viewer');
      await page.getByRole('button', { name: 'Add account' }).click();
      await page.getByText('Account viewer@example.com created.').waitFor();
      await page.locator('td', { hasText: 'viewer@example.com' }).waitFor();
      await assertAccessible(page, 'accounts');
      await shot(page, 'accounts');
    });

    await step('your account: an API token is shown once and works', async () => {
      await page.getByRole('link', { name: 'Your account' }).click();
      await heading(page, 'Your account');
      await page.getByLabel('Token name').fill('ci');
      await page.getByRole('button', { name: 'Create token' }).click();
      const token = (await page.getByLabel('API token', { exact: true }).textContent()).trim();
      assert.match(token, /^cpa_/);
      const res = await fetch(`${env.adminOrigin}/admin/api/v1/sites/${SITE_ID}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      await page.locator('td', { hasText: 'ci' }).first().waitFor();
      await assertAccessible(page, 'your account');
      await shot(page, 'account');
    });
    problems.check('console pages');

    await step('sign out, then sign in by keyboard alone; a wrong password is refused', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await heading(page, 'Sign in to chatproxy');
      await assertAccessible(page, 'login');
      await shot(page, 'login');
      await page.getByLabel('Email').focus();
      await page.keyboard.type(EMAIL);
      await page.keyboard.press('Tab');
      await page.keyboard.type('wrong password!');
      await page.keyboard.press('Enter');
      await page.getByText('Wrong email or password.').waitFor();
      await page.getByLabel('Password').fill('');
      await page.getByLabel('Password').focus();
      await page.keyboard.type(PASSWORD);
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sign in', 'Tab reaches the button');
      await page.keyboard.press('Enter');
      await heading(page, 'Sites');
      // A page takes focus on its heading, so the next Tab is the page's first control; Enter follows it.
      assert.equal(await page.evaluate(() => document.activeElement?.tagName + ' ' + document.activeElement?.textContent), 'H1 Sites');
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'New site');
      await page.keyboard.press('Enter');
      await heading(page, 'New site');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'New site', 'focus on the new page');
      // The first control of every page is the skip link.
      assert.equal(await page.evaluate(() => document.querySelector('a[href], button, input, select, textarea')?.textContent), 'Skip to content');
    });
  }
}

async function conversationSteps(page) {
  await step('conversations: the chat is listed; its transcript shows agent markdown safely and visitor text as text', async () => {
    await page.getByRole('link', { name: 'Conversations', exact: true }).click();
    await heading(page, 'Conversations');
    await page.getByLabel('Site').selectOption(SITE_ID);
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.locator('tbody tr').filter({ hasText: SITE_ID });
    await row.first().waitFor({ timeout: 15000 });
    await assertAccessible(page, 'conversations');
    await shot(page, 'conversations');
    await row.first().getByRole('link').click();
    await heading(page, 'Conversation');
    const visitor = page.locator('.turn.user .plain-text');
    await visitor.first().waitFor();
    assert.equal((await visitor.first().textContent()).trim(), VISITOR_TEXT);
    const agent = page.locator('.turn.assistant .md');
    await agent.locator('strong').filter({ hasText: 'your' }).waitFor();
    assert.equal(await page.locator('main img, main script, main svg').count(), 0, 'no markup from messages');
    assert.equal(await page.locator('main a[href^="javascript"], main a[href^="JaVa"]').count(), 0);
    assert.equal(await agent.locator('a[href="https://shop.example/help"]').count(), 1, 'safe links stay links');
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    await assertAccessible(page, 'transcript');
    await shot(page, 'transcript');
  });

}

async function phone(env) {
  await step('phone 390×844: every page fits, screenshots', async () => {
    await withBrowser({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }, async ({ context }) => {
      const page = await context.newPage();
      await page.goto(`${env.adminOrigin}/admin/login`);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await heading(page, 'Sites');
      for (const [path, title, name] of [
        ['/admin/sites', 'Sites', 'mobile-sites'],
        [`/admin/sites/${SITE_ID}`, SITE_NAME, 'mobile-site-editor'],
        [`/admin/sites/${SITE_ID}/install`, /^Install /, 'mobile-site-install'],
        [`/admin/conversations?site=${SITE_ID}`, 'Conversations', 'mobile-conversations'],
        ['/admin/audit', 'Audit log', 'mobile-audit'],
      ]) {
        await page.goto(`${env.adminOrigin}${path}`);
        await heading(page, title);
        await page.waitForLoadState('networkidle');
        await assertNoSideScroll(page, path);
        await assertAccessible(page, `${path} on a phone`);
        await shot(page, name);
      }
    });
  });
}

async function main() {
  if (!existsSync(CHROMIUM)) {
    console.error(`e2e: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
    process.exit(1);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const env = await startEnv();
  let failed = 0;
  try {
    await consoleFlow(env);
  } catch (err) {
    failed = 1;
    console.log(`FAIL ${String(err?.stack ?? err).split('\n').join('\n     ')}`);
    if (process.env.E2E_SHOW_LOG) console.log(`--- chatproxy output ---\n${env.log()}`);
  } finally {
    await env.stop();
  }
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exit(failed);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
