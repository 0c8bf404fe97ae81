// Core chat: nothing stored before opening (web/widget/README.md, "Embedding"), streaming,
// history after reload, the desktop screenshot.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { echoAnswer } from '../fake-n8n.mjs';
import { withBrowser } from '../lib/browser.mjs';
import { SLOW_SITE_DELAY_MS, WIDGET_DIR } from '../lib/env.mjs';
import { chatFrame, LAUNCHER, openChat, recordStreaming, transcript, typeAndSend, waitAnswers } from '../lib/widget.mjs';

export const SCREENSHOTS = join(WIDGET_DIR, 'e2e/screenshots');

export const tests = [
  {
    name: 'nothing is stored and no session is made before the visitor opens the chat',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        const setCookies = [];
        const apiCalls = [];
        context.on('response', async (res) => {
          const sc = await res.headerValue('set-cookie').catch(() => null);
          if (sc) setCookies.push(`${res.url()}: ${sc}`);
        });
        context.on('request', (req) => req.url().includes('/api/v1/session') && apiCalls.push(req.url()));
        await page.goto(`${env.shop.origin}/`);
        await page.locator(LAUNCHER).waitFor();
        await page.waitForTimeout(1500);
        assert.deepEqual(setCookies, [], 'a cookie was set before the chat was opened');
        assert.deepEqual(apiCalls, [], 'a session was requested before the chat was opened');
        assert.deepEqual(await context.cookies(), [], 'the browser holds cookies');
        assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, 'host storage was written');
        assert.equal(await page.locator('#chatproxy-frame').count(), 0, 'the iframe was created before the first open');
        // Opening is what starts a session.
        await openChat(page);
        await page.waitForTimeout(300);
        assert.equal(apiCalls.length, 1, 'opening the chat should create exactly one session');
      });
    },
  },
  {
    name: 'a message streams token by token, then history survives a reload; desktop screenshot',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        assert.equal(
          await frame.evaluate(() => document.activeElement?.id),
          'cp-input',
          'focus did not move into the chat',
        );
        const question = 'What sizes do you have?';
        const stop = await recordStreaming(frame);
        await typeAndSend(frame, question);
        await frame.waitForSelector('.cp-typing, .cp-status-streaming .cp-bubble', { timeout: 10000 });
        const answer = await waitAnswers(frame, 1);
        const seen = await stop();
        const expected = echoAnswer(question);
        assert.equal(answer, expected);
        const partial = seen.filter((t) => t !== expected && expected.startsWith(t));
        assert.ok(partial.length >= 3, `expected several partial texts before the end, saw ${partial.length}: ${JSON.stringify(seen)}`);
        assert.equal(env.fake.count(question), 1, 'the agent should get the message exactly once');
        const live = await frame.locator('[aria-live="polite"]').textContent();
        assert.ok(live.includes(expected), `the live region should announce the finished answer, has: ${live}`);
        await page.screenshot({ path: join(SCREENSHOTS, 'desktop.png') });

        await page.reload();
        const again = await openChat(page);
        await again.waitForFunction(() => document.querySelectorAll('.cp-msg:not(.cp-welcome)').length >= 2, null, { timeout: 10000 });
        assert.deepEqual(await transcript(again), [
          ['user', question],
          ['assistant', expected],
        ]);
      });
    },
  },
  {
    name: 'suggestion chips send their question; "new conversation" starts empty',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        const chips = await frame.locator('.cp-chip').allTextContents();
        assert.deepEqual(chips, ['Shipping?', 'Returns?']);
        assert.ok((await frame.locator('.cp-welcome').textContent()).includes('Hi! Ask me anything.'));
        await frame.locator('.cp-chip', { hasText: 'Returns?' }).click();
        assert.equal(await waitAnswers(frame, 1), echoAnswer('Returns?'));
        assert.equal(await frame.locator('.cp-chip').count(), 0, 'chips should go once the visitor has asked');
        await frame.getByRole('button', { name: 'New conversation' }).click();
        await frame.waitForFunction(() => document.querySelectorAll('.cp-msg:not(.cp-welcome)').length === 0);
        assert.equal(await frame.locator('.cp-chip').count(), 2);
        await page.reload();
        const again = await openChat(page);
        await page.waitForTimeout(800);
        assert.deepEqual(await transcript(again), [], 'the new conversation should stay empty after a reload');
      });
    },
  },
  {
    name: "a quick first message (Enter at once, or a suggestion chip) waits out the site's bot rule: shown as sending, never refused, answered",
    async run(env) {
      for (const how of ['enter', 'chip']) {
        await withBrowser({}, async ({ context }) => {
          const page = await context.newPage();
          const refused = [];
          context.on('response', (res) => {
            if (res.url().includes('/api/') && res.status() === 429) refused.push(res.url());
          });
          await page.goto(`${env.shop.origin}/slow`);
          await page.locator(LAUNCHER).click();
          const frame = await chatFrame(page);
          await frame.evaluate(() => {
            // Every banner ever shown in the status region, however briefly, and every status the
            // visitor's message goes through.
            window.__banners = [];
            window.__statuses = [];
            const seen = () => {
              for (const b of document.querySelectorAll('.cp-status-region .cp-banner')) window.__banners.push(b.textContent);
              const status = document.querySelector('.cp-msg.cp-user')?.className.match(/cp-status-(\w+)/)?.[1];
              if (status && window.__statuses.at(-1) !== status) window.__statuses.push(status);
            };
            new MutationObserver(seen).observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
          });
          const question = how === 'enter' ? 'A question typed at once' : 'Shipping?';
          const asked = env.fake.count(question);
          if (how === 'enter') await typeAndSend(frame, question);
          else await frame.locator('.cp-chip', { hasText: question }).click();
          assert.equal(await waitAnswers(frame, 1), echoAnswer(question));
          assert.deepEqual(refused, [], `${how}: the server refused a request with 429`);
          assert.deepEqual(await frame.evaluate(() => window.__banners), [], `${how}: a banner was shown`);
          const statuses = await frame.evaluate(() => window.__statuses);
          const sending = statuses.indexOf('sending');
          assert.ok(sending >= 0 && !statuses.slice(sending).includes('queued'), `${how}: the message went ${statuses.join(' → ')}`);
          // The frame's own clock: when the session's answer arrived and the message left.
          const [created, sent] = await frame.evaluate(() => {
            const entries = performance.getEntriesByType('resource');
            const at = (part, key) => entries.find((e) => e.name.includes(part))?.[key] ?? NaN;
            return [at('/api/v1/session/create', 'responseEnd'), at('/api/v1/chat/message', 'startTime')];
          });
          assert.ok(sent - created >= SLOW_SITE_DELAY_MS, `${how}: sent ${sent - created} ms after the session was created`);
          assert.equal(await frame.locator('.cp-note-error').count(), 0, `${how}: an error note was shown`);
          assert.equal(env.fake.count(question), asked + 1, `${how}: the agent should get the message exactly once`);
        });
      }
    },
  },
];
