// n8n's own widget, @n8n/chat 1.37.0 from npm, on a shop page whose only change is its
// webhookUrl (chatproxy's /api/v1/n8n/shop): the answer streams from the fake n8n (or comes
// whole without streaming), and after a reload the conversation is back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { echoAnswer } from '../fake-n8n.mjs';
import { withBrowser } from '../lib/browser.mjs';
import { n8nChatDist } from '../lib/n8nchat.mjs';
import { until } from '../lib/widget.mjs';
import { SCREENSHOTS } from './chat.mjs';

const TOGGLE = '.chat-window-toggle';
const INPUT = '.chat-inputs textarea';
const BOT = '.chat-message-from-bot';
const USER = '.chat-message-from-user';

/** Texts of the bot's and the visitor's bubbles, in order. */
function bubbles(page) {
  return page.evaluate(
    ([bot, user]) => [...document.querySelectorAll(`${bot}, ${user}`)].map((el) => [el.matches(user) ? 'user' : 'bot', el.textContent.trim()]),
    [BOT, USER],
  );
}

/** Records every distinct text of the newest answer ("Echo: …") bubble until stopped. */
async function recordAnswer(page) {
  await page.evaluate((bot) => {
    const seen = [];
    const snap = () => {
      const answers = [...document.querySelectorAll(bot)].filter((el) => el.textContent.includes('Echo:'));
      const text = answers.at(-1)?.textContent.trim() ?? '';
      if (text && seen.at(-1) !== text) seen.push(text);
    };
    const obs = new MutationObserver(snap);
    obs.observe(document.body, { childList: true, subtree: true, characterData: true });
    window.__n8nSeen = { seen, obs };
  }, BOT);
  return () =>
    page.evaluate(() => {
      window.__n8nSeen.obs.disconnect();
      return window.__n8nSeen.seen;
    });
}

function scenario(stream) {
  const mode = stream ? 'streaming' : 'json';
  return {
    name: `@n8n/chat 1.37.0 (streaming ${stream ? 'on' : 'off'}) chats through /api/v1/n8n and gets its history back after a reload; screenshot`,
    async run(env) {
      n8nChatDist(); // fetch the package before the browser starts (a test that cannot, fails)
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        const statuses = [];
        context.on('response', (res) => res.url().includes('/api/v1/n8n/') && statuses.push(res.status()));
        const pageErrors = [];
        page.on('pageerror', (err) => pageErrors.push(String(err)));
        await page.goto(`${env.shop.origin}/n8nchat?stream=${stream ? 1 : 0}`);
        await page.locator(TOGGLE).click();
        await page.locator(INPUT).waitFor();
        const question = `Do you ship linen throws to Norway (${mode})`;
        const expected = echoAnswer(question);
        const stop = await recordAnswer(page);
        await page.locator(INPUT).fill(question);
        await page.locator(INPUT).press('Enter');
        await until(async () => (await bubbles(page)).some(([who, text]) => who === 'bot' && text === expected), {
          timeout: 20000,
          message: `the answer ${JSON.stringify(expected)}`,
        });
        const seen = await stop();
        const partial = seen.filter((t) => t !== expected && expected.startsWith(t));
        if (stream) assert.ok(partial.length >= 3, `the answer should stream, saw ${JSON.stringify(seen)}`);
        else assert.deepEqual(partial, [], `without streaming the answer comes whole, saw ${JSON.stringify(seen)}`);
        assert.equal(env.fake.count(question), 1, 'the agent should get the message exactly once');
        await page.screenshot({ path: join(SCREENSHOTS, `n8nchat-${mode}.png`) });

        await page.reload();
        await page.locator(TOGGLE).click();
        await until(async () => (await bubbles(page)).some(([who]) => who === 'user'), { timeout: 10000, message: 'the previous messages' });
        const after = (await bubbles(page)).filter(([, text]) => text === question || text === expected);
        assert.deepEqual(after, [
          ['user', question],
          ['bot', expected],
        ]);
        assert.equal(env.fake.count(question), 1, 'loading the history must not reach the agent');
        assert.ok(statuses.length >= 3 && statuses.every((s) => s === 200 || s === 204), `endpoint statuses: ${statuses}`);
        assert.deepEqual(pageErrors, [], 'the page threw');
      });
    },
  };
}

export const tests = [scenario(true), scenario(false)];
