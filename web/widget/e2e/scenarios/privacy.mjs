// Privacy in the browser (docs/privacy.md): an opt_in site stores nothing anywhere before the
// visitor accepts (cookies, both storages, the database, n8n), the shop's banner can accept or
// withdraw through ChatProxy.consent, and the menu downloads and deletes the conversation.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { echoAnswer } from '../fake-n8n.mjs';
import { withBrowser } from '../lib/browser.mjs';
import { LAUNCHER, chatFrame, openChat, typeAndSend, waitAnswers } from '../lib/widget.mjs';
import { SCREENSHOTS } from './chat.mjs';

// shot: these pages are not byte-stable between runs (a few bytes differ), so a normal run writes
// them to the temporary directory and leaves the committed ones alone; CHATPROXY_E2E_SCREENSHOTS=1
// (or a missing file) refreshes the committed copy.
function shot(name) {
  const committed = join(SCREENSHOTS, name);
  return process.env.CHATPROXY_E2E_SCREENSHOTS === '1' || !existsSync(committed) ? committed : join(tmpdir(), name);
}

/** The frame of an opened chat that may still wait for consent (its input disabled). */
async function openWaiting(page) {
  await page.locator(LAUNCHER).click();
  return chatFrame(page);
}

async function storedEverywhere(context, page, frame, env) {
  return {
    cookies: (await context.cookies(env.proxyOrigin)).length,
    frameStorage: await frame.evaluate(() => localStorage.length),
    hostStorage: await page.evaluate(() => localStorage.length),
  };
}

async function poll(fn, want, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const got = await fn();
    if (got === want) return;
    if (Date.now() > deadline) assert.equal(got, want, what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const tests = [
  {
    name: 'opt_in site: nothing stored anywhere before consent (cookies, storage, database, n8n), then the chat works; withdrawing forgets it and stops analytics',
    async run(env) {
      await withBrowser({ thirdPartyCookies: 'allow' }, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/optin`);
        const frame = await openWaiting(page);
        await frame.waitForSelector('.cp-consent');
        assert.equal(await frame.locator('.cp-consent .cp-policy').getAttribute('href'), 'https://shop.example/privacy');
        assert.ok(await frame.locator('#cp-input').isDisabled(), 'the composer waits for consent');
        // The host page's API cannot get a message through before consent either.
        await page.evaluate(() => window.ChatProxy.sendMessage('Sent before consent'));
        await frame.locator('.cp-consent-decline').click();
        await frame.waitForSelector('.cp-consent-declined');
        await page.waitForTimeout(1000);
        await page.screenshot({ path: shot('consent-opt-in.png') });
        assert.deepEqual(await storedEverywhere(context, page, frame, env), { cookies: 0, frameStorage: 0, hostStorage: 0 });
        for (const table of ['sessions', 'visitors', 'messages', 'events']) {
          assert.equal(env.sql(`SELECT count(*) FROM ${table} WHERE site_id = 'optin'`), 0, `${table} rows before consent`);
        }
        assert.equal(env.fake.count('Sent before consent'), 0, 'n8n was called before consent');

        await frame.locator('.cp-consent-accept').click();
        await frame.waitForSelector('#cp-input:not([disabled])');
        await typeAndSend(frame, 'After consent');
        assert.equal(await waitAnswers(frame, 1), echoAnswer('After consent'));
        assert.equal(env.sql(`SELECT count(*) FROM sessions WHERE site_id = 'optin'`), 1);
        assert.ok(await frame.evaluate(() => localStorage.getItem('chatproxy:optin:session')), 'the session is kept after consent');

        // The shop's banner withdraws: the browser forgets the session, analytics stop.
        await page.evaluate(() => window.ChatProxy.consent(false));
        await frame.waitForSelector('.cp-consent');
        assert.equal(await frame.evaluate(() => localStorage.getItem('chatproxy:optin:session')), null);
        await poll(() => env.sql(`SELECT count(*) FROM sessions WHERE site_id = 'optin' AND no_analytics = 1`), 1, 'session marked no_analytics');
      });
    },
  },
  {
    name: "opt_in site: the shop's banner accepts with ChatProxy.consent(true) before the chat opens",
    async run(env) {
      await withBrowser({ thirdPartyCookies: 'allow' }, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/optin`);
        await page.waitForFunction(() => window.ChatProxy);
        await page.evaluate(() => window.ChatProxy.consent(true));
        const frame = await openChat(page);
        assert.equal(await frame.locator('.cp-consent').count(), 0, 'no prompt after the banner accepted');
        await typeAndSend(frame, 'Banner said yes');
        assert.equal(await waitAnswers(frame, 1), echoAnswer('Banner said yes'));
      });
    },
  },
  {
    name: 'notice before the first message; the menu downloads the conversation as JSON and deletes it after a confirmation (others untouched)',
    async run(env) {
      await withBrowser({ thirdPartyCookies: 'allow' }, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        await frame.waitForSelector('.cp-privacy');
        await typeAndSend(frame, 'Please forget me');
        assert.equal(await waitAnswers(frame, 1), echoAnswer('Please forget me'));
        assert.equal(await frame.locator('.cp-privacy').count(), 0, 'the notice goes after the first message');
        const sessionId = await frame.evaluate(() => JSON.parse(localStorage.getItem('chatproxy:shop:session')).sessionId);

        await frame.locator('.cp-menu-button').click();
        const [download] = await Promise.all([page.waitForEvent('download'), frame.locator('.cp-menu-download').click()]);
        const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
        assert.equal(exported.sessions[0].id, sessionId);
        assert.deepEqual(exported.sessions[0].messages.map((m) => m.content), ['Please forget me', echoAnswer('Please forget me')]);
        assert.deepEqual(exported.sessions[0].attachments, []);

        const others = env.sql(`SELECT count(*) FROM messages WHERE session_id <> '${sessionId}'`);
        await frame.locator('.cp-menu-button').click();
        await frame.locator('.cp-menu-erase').click();
        await frame.waitForSelector('.cp-confirm');
        await page.screenshot({ path: shot('erase-confirm.png') });
        assert.equal(env.sql(`SELECT count(*) FROM messages WHERE session_id = '${sessionId}'`), 2, 'nothing erased before confirming');
        await frame.locator('.cp-erase-yes').click();
        await frame.waitForFunction(() => document.querySelector('.cp-status-region')?.textContent?.includes('deleted'));
        assert.equal(env.sql(`SELECT count(*) FROM sessions WHERE id = '${sessionId}'`), 0);
        assert.equal(env.sql(`SELECT count(*) FROM messages WHERE session_id = '${sessionId}'`), 0);
        assert.equal(env.sql(`SELECT count(*) FROM messages WHERE session_id <> '${sessionId}'`), others, 'other conversations untouched');
        assert.equal(await frame.evaluate(() => localStorage.getItem('chatproxy:shop:session')), null);
        assert.equal(await frame.locator('.cp-msg:not(.cp-welcome)').count(), 0);
      });
    },
  },
];
