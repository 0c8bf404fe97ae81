// Hostile content and hostile messages: an agent answer full of XSS must render inert and
// fetch nothing; postMessage traffic that is not from the right window/origin/shape is ignored.
import assert from 'node:assert/strict';
import { withBrowser } from '../lib/browser.mjs';
import { openChat, typeAndSend, waitAnswers } from '../lib/widget.mjs';

export const tests = [
  {
    name: 'an agent answer carrying XSS renders inert: no script, no handler, no javascript: link, no exfiltration',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        const dialogs = [];
        const evilRequests = [];
        page.on('dialog', (d) => {
          dialogs.push(d.message());
          void d.dismiss();
        });
        context.on('request', (req) => {
          if (new URL(req.url()).hostname.endsWith('evil.example')) evilRequests.push(req.url());
        });
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        await typeAndSend(frame, 'show me the xss answer');
        const text = await waitAnswers(frame, 1);
        assert.ok(text.includes('Here is your answer'), `unexpected answer: ${text}`);
        await page.waitForTimeout(500);
        const probe = await frame.evaluate(() => {
          const log = document.querySelector('.cp-log');
          return {
            pwned: window.__pwned ?? null,
            scripts: log.querySelectorAll('script').length,
            imgs: log.querySelectorAll('img').length,
            svgs: log.querySelectorAll('svg').length,
            handlers: [...log.querySelectorAll('*')].filter((el) => [...el.attributes].some((a) => a.name.startsWith('on'))).length,
            jsLinks: [...log.querySelectorAll('a')].filter((a) => !/^(https:|mailto:)/.test(a.getAttribute('href') ?? '')).length,
            links: [...log.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.target, a.rel]),
            rawShown: log.textContent.includes('<script>'),
          };
        });
        assert.equal(probe.pwned, null, 'injected code ran');
        assert.deepEqual(dialogs, [], 'a dialog was opened');
        assert.equal(probe.scripts, 0);
        assert.equal(probe.imgs, 0, 'an <img> was rendered (remote images are off for this site)');
        assert.equal(probe.svgs, 0);
        assert.equal(probe.handlers, 0, 'an element carries an on* attribute');
        assert.equal(probe.jsLinks, 0, 'a non-https link was rendered');
        assert.deepEqual(probe.links, [['https://shop.example/help', '_blank', 'noopener noreferrer nofollow']]);
        assert.ok(probe.rawShown, 'raw HTML should be shown as text');
        assert.deepEqual(evilRequests, [], 'the answer made the browser contact evil.example');
      });
    },
  },
  {
    name: 'postMessage: the loader ignores messages that are not from its iframe, the iframe ignores bad shapes',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        // The host page itself (not the iframe) pretends to be the widget.
        await page.evaluate(() => {
          window.postMessage({ type: 'chatproxy:store', key: 'session', value: 'forged' }, '*');
          window.postMessage({ type: 'chatproxy:unread', count: 7 }, '*');
        });
        await page.waitForTimeout(300);
        const stored = await page.evaluate(() => localStorage.getItem('chatproxy:shop:session'));
        assert.equal(stored, null, 'a forged store message was obeyed');
        assert.equal(await page.locator('#chatproxy-root > button span').isVisible(), false, 'a forged unread count was shown');
        // Malformed messages from the real host window: nothing happens.
        await page.evaluate(() => {
          const w = document.getElementById('chatproxy-frame').contentWindow;
          w.postMessage({ type: 'chatproxy:send', text: 42 }, '*');
          w.postMessage({ type: 'chatproxy:send', text: 'x'.repeat(20000) }, '*');
          w.postMessage('chatproxy:send', '*');
        });
        await page.waitForTimeout(500);
        assert.equal(await frame.locator('.cp-user').count(), 0, 'a malformed message reached the chat');
        // The documented API works: it goes through the same checks.
        await page.evaluate(() => window.ChatProxy.sendMessage('Sent through the host API'));
        await waitAnswers(frame, 1);
        assert.equal(env.fake.count('Sent through the host API'), 1);
      });
    },
  },
];
