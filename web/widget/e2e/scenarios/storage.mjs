// Where the session lives when the browser is strict (web/widget/README.md, "Sessions and storage"):
// third-party cookies blocked,
// localStorage refused inside the iframe (the loader keeps the token on the host page),
// and no storage at all (memory only, with a visible notice).
import assert from 'node:assert/strict';
import { echoAnswer } from '../fake-n8n.mjs';
import { withBrowser } from '../lib/browser.mjs';
import { openChat, transcript, typeAndSend, waitAnswers } from '../lib/widget.mjs';

/** An init script (runs in every frame) that makes localStorage throw like a blocked iframe. */
function blockLocalStorage(origins) {
  return `(() => {
    if (!${JSON.stringify(origins)}.includes(location.origin)) return;
    Object.defineProperty(window, 'localStorage', {
      configurable: true,
      get() { throw new DOMException("Failed to read the 'localStorage' property from 'Window': Access is denied for this document.", 'SecurityError'); },
    });
  })();`;
}

/** Chats once, reloads, and checks the conversation came back. */
async function chatThenReload(page, env, question) {
  await page.goto(`${env.shop.origin}/`);
  const frame = await openChat(page);
  await typeAndSend(frame, question);
  assert.equal(await waitAnswers(frame, 1), echoAnswer(question));
  await page.reload();
  const again = await openChat(page);
  await again.waitForFunction(() => document.querySelectorAll('.cp-msg:not(.cp-welcome)').length >= 2, null, { timeout: 10000 });
  assert.deepEqual(await transcript(again), [
    ['user', question],
    ['assistant', echoAnswer(question)],
  ]);
  return again;
}

export const tests = [
  {
    name: 'third-party cookies allowed: the token lives in the iframe\'s own (partitioned) storage',
    async run(env) {
      await withBrowser({ thirdPartyCookies: 'allow' }, async ({ context }) => {
        const page = await context.newPage();
        const frame = await chatThenReload(page, env, 'An ordinary browser');
        assert.ok(await frame.evaluate(() => localStorage.getItem('chatproxy:shop:session')), 'iframe storage should hold the session');
        assert.equal(await page.evaluate(() => localStorage.length), 0, 'the host page storage should stay untouched');
      });
    },
  },
  {
    name: 'third-party cookies blocked (iframe storage denied by the browser): the loader keeps the token, history survives',
    async run(env) {
      await withBrowser({ thirdPartyCookies: 'block' }, async ({ context }) => {
        const page = await context.newPage();
        const frame = await chatThenReload(page, env, 'Cookies are blocked here');
        assert.equal(
          await frame.evaluate(() => { try { return typeof localStorage.length; } catch (e) { return e.name; } }),
          'SecurityError',
          'this browser should deny storage to the third-party iframe',
        );
        const stored = await page.evaluate(() => localStorage.getItem('chatproxy:shop:session'));
        assert.ok(stored && JSON.parse(stored).token, 'the host page should hold the session for the iframe');
        assert.deepEqual(await context.cookies(env.proxyOrigin), [], 'the proxy should hold no cookie in this browser');
        assert.equal(await frame.locator('.cp-banner-info').count(), 0, 'no "not saved" notice expected');
      });
    },
  },
  {
    name: 'localStorage throwing inside the iframe even with cookies allowed: the loader keeps the token',
    async run(env) {
      await withBrowser({ thirdPartyCookies: 'allow' }, async ({ context }) => {
        await context.addInitScript(blockLocalStorage([env.proxyOrigin]));
        const page = await context.newPage();
        const frame = await chatThenReload(page, env, 'Iframe storage is blocked');
        const stored = await page.evaluate(() => localStorage.getItem('chatproxy:shop:session'));
        assert.ok(stored, 'the host page should hold the session for the iframe');
        assert.ok(JSON.parse(stored).token, 'the stored record should carry the token');
        assert.equal(await frame.evaluate(() => { try { return typeof localStorage; } catch (e) { return e.name; } }), 'SecurityError');
        assert.equal(await frame.locator('.cp-banner-info').count(), 0, 'no "not saved" notice expected');
      });
    },
  },
  {
    name: 'no storage anywhere: the chat still works and says it will not be saved',
    async run(env) {
      await withBrowser({ thirdPartyCookies: 'block' }, async ({ context }) => {
        await context.addInitScript(blockLocalStorage([env.proxyOrigin, env.shop.origin]));
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        assert.equal(await frame.locator('.cp-banner-info').textContent(), 'This chat will not be saved on this device.');
        const question = 'Nothing can be stored';
        await typeAndSend(frame, question);
        assert.equal(await waitAnswers(frame, 1), echoAnswer(question));
        assert.equal(env.fake.count(question), 1);
      });
    },
  },
];
