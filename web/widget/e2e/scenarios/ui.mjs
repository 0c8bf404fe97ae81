// The visible widget: mobile sheet, accessibility (axe-core, focus, Escape), the loader's
// idempotence across double loads and SPA body swaps, hide-on paths, the unread badge.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { echoAnswer } from '../fake-n8n.mjs';
import { withBrowser } from '../lib/browser.mjs';
import { chatFrame, LAUNCHER, openChat, typeAndSend, until, waitAnswers } from '../lib/widget.mjs';
import { SCREENSHOTS } from './chat.mjs';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core in a frame (evaluate bypasses the page CSP) and returns serious/critical violations. */
async function axeViolations(frame, include) {
  await frame.evaluate(AXE_SOURCE);
  const violations = await frame.evaluate(
    (sel) => window.axe.run(sel ? { include: [sel] } : document, { resultTypes: ['violations'] }).then((r) => r.violations),
    include ?? null,
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export const tests = [
  {
    name: 'mobile 375×667: the chat is a full-screen sheet with a 16px input; screenshot',
    async run(env) {
      await withBrowser({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 }, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        const box = await page.locator('#chatproxy-frame').boundingBox();
        assert.ok(box, 'the iframe has no box');
        for (const [k, want] of [['x', 0], ['y', 0], ['width', 375], ['height', 667]]) {
          assert.ok(Math.abs(box[k] - want) <= 1, `sheet ${k} = ${box[k]}, want ${want}`);
        }
        assert.equal(await page.locator(LAUNCHER).isVisible(), false, 'the launcher should hide under the sheet');
        assert.equal(await page.evaluate(() => document.documentElement.style.overflow), 'hidden', 'the host page should not scroll behind the sheet');
        assert.equal(await frame.evaluate(() => getComputedStyle(document.getElementById('cp-input')).fontSize), '16px');
        assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute('role')), 'dialog', 'on phones focus goes to the dialog, not the input');
        await typeAndSend(frame, 'Do you ship to Lisbon?');
        await waitAnswers(frame, 1);
        await page.screenshot({ path: join(SCREENSHOTS, 'mobile.png') });
        await frame.getByRole('button', { name: 'Close chat' }).click();
        await page.locator(LAUNCHER).waitFor({ state: 'visible' });
        assert.equal(await page.evaluate(() => document.documentElement.style.overflow), '');
      });
    },
  },
  {
    name: 'accessibility: axe-core finds no serious/critical issue; focus moves in and back; Escape closes',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        assert.deepEqual(await axeViolations(page.mainFrame(), '#chatproxy-root'), [], 'launcher');
        await page.focus(LAUNCHER);
        await page.keyboard.press('Enter');
        const frame = await chatFrame(page);
        await frame.waitForFunction(() => document.activeElement?.id === 'cp-input');
        assert.equal(await page.locator(LAUNCHER).getAttribute('aria-expanded'), 'true');
        await typeAndSend(frame, 'Tell me about **returns**');
        await waitAnswers(frame, 1);
        assert.equal(await frame.locator('[role="dialog"]').count(), 1);
        assert.deepEqual(await axeViolations(frame), [], 'chat dialog');
        await frame.press('#cp-input', 'Escape');
        await page.locator('#chatproxy-frame').waitFor({ state: 'hidden' });
        assert.equal(await page.evaluate(() => document.activeElement?.closest('#chatproxy-root') !== null && document.activeElement.tagName), 'BUTTON', 'focus should return to the launcher');
        assert.equal(await page.locator(LAUNCHER).getAttribute('aria-expanded'), 'false');
      });
    },
  },
  {
    name: 'embed.js loaded twice, and again after an SPA body swap, keeps exactly one widget',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/twice`);
        await page.locator(LAUNCHER).waitFor();
        await page.waitForTimeout(500);
        assert.equal(await page.locator('#chatproxy-root').count(), 1);
        assert.equal(await page.locator('#chatproxy-root button').count(), 1);
        // A Turbo-style visit: the whole <body> is replaced, then the page runs embed.js again.
        await page.evaluate((src) => {
          const body = document.createElement('body');
          body.appendChild(document.createElement('main')).textContent = 'New page';
          document.body.replaceWith(body);
          history.pushState({}, '', '/other');
          // The shop enforces Trusted Types, so even this test needs a policy to add a script.
          const policy = window.trustedTypes.createPolicy('e2e-spa', { createScriptURL: (u) => u });
          const s = document.createElement('script');
          s.src = policy.createScriptURL(src);
          s.dataset.siteId = 'shop';
          document.head.appendChild(s);
        }, `${env.proxyOrigin}/embed.js`);
        await until(() => page.locator('#chatproxy-root').count(), { message: 'widget re-attached' });
        await page.waitForTimeout(500);
        assert.equal(await page.locator('#chatproxy-root').count(), 1, 'one widget after the swap');
        assert.equal(await page.locator('#chatproxy-root').getAttribute('data-turbo-permanent'), '');
        const frame = await openChat(page);
        await typeAndSend(frame, 'Still here?');
        assert.equal(await waitAnswers(frame, 1), echoAnswer('Still here?'));
        assert.equal(await page.locator('iframe').count(), 1);
      });
    },
  },
  {
    name: 'window.ChatProxy API: open/close/toggle/on/setContext/destroy; unread badge while closed',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        await page.locator(LAUNCHER).waitFor();
        await page.evaluate(() => {
          window.__events = [];
          for (const name of ['open', 'close', 'message', 'unread']) window.ChatProxy.on(name, (p) => window.__events.push([name, p ?? null]));
          window.ChatProxy.setContext({ sku: 'LIN-42' });
          window.ChatProxy.open();
        });
        const frameHandle = await page.waitForSelector('#chatproxy-frame');
        const frame = await frameHandle.contentFrame();
        await frame.waitForSelector('#cp-input:not([disabled])');
        await typeAndSend(frame, 'Answer me while closed');
        await page.evaluate(() => window.ChatProxy.close());
        await waitAnswers(frame, 1);
        const badge = page.locator(`${LAUNCHER} span`);
        await badge.waitFor({ state: 'visible' });
        assert.equal(await badge.textContent(), '1');
        assert.match(await page.locator(LAUNCHER).getAttribute('aria-label'), /1 unread/);
        await page.evaluate(() => window.ChatProxy.toggle());
        await badge.waitFor({ state: 'hidden' });
        const events = await page.evaluate(() => window.__events.map(([n]) => n));
        assert.deepEqual(events.filter((n) => n === 'open' || n === 'close'), ['open', 'close', 'open']);
        assert.ok(events.includes('unread') && events.includes('message'), `events: ${events}`);
        const message = await page.evaluate(() => window.__events.find(([n, p]) => n === 'message' && p.role === 'assistant')[1]);
        assert.equal(message.text, echoAnswer('Answer me while closed'));
        await page.evaluate(() => window.ChatProxy.destroy());
        assert.equal(await page.locator('#chatproxy-root').count(), 0);
        assert.equal(await page.evaluate(() => typeof window.ChatProxy), 'undefined');
      });
    },
  },
  {
    name: 'hide-on: no widget on /checkout, back when the SPA leaves it',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/checkout`);
        await page.waitForFunction(() => window.ChatProxy !== undefined);
        await page.waitForTimeout(300);
        assert.equal(await page.locator(LAUNCHER).isVisible(), false, 'the launcher shows on /checkout');
        await page.evaluate(() => history.pushState({}, '', '/other'));
        await page.locator(LAUNCHER).waitFor({ state: 'visible' });
        await page.evaluate(() => history.pushState({}, '', '/checkout/pay'));
        await page.locator(LAUNCHER).waitFor({ state: 'hidden' });
      });
    },
  },
  {
    name: 'a Russian browser gets the Russian widget (button, placeholder, page language)',
    async run(env) {
      await withBrowser({ locale: 'ru-RU' }, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        assert.equal(await page.locator(LAUNCHER).getAttribute('aria-label'), 'Открыть чат');
        const frame = await openChat(page);
        assert.equal(await frame.getAttribute('#cp-input', 'placeholder'), 'Введите сообщение…');
        assert.equal(await frame.evaluate(() => document.documentElement.lang), 'ru');
        assert.equal(await page.locator(LAUNCHER).getAttribute('aria-label'), 'Закрыть чат');
      });
    },
  },
];
