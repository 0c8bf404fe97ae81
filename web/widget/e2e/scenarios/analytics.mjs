// Analytics end to end: a visitor chats, rates the answer with the keyboard, and the shop page
// reports a cart and the same purchase twice; the console's analytics API then shows exactly
// one conversation, one thumbs-up and one chat-assisted purchase with its value.
import assert from 'node:assert/strict';
import { withBrowser } from '../lib/browser.mjs';
import { openChat, typeAndSend, waitAnswers } from '../lib/widget.mjs';

async function summary(env) {
  const res = await fetch(`${env.adminOrigin}/admin/api/v1/analytics/summary?site=stats`, {
    headers: { Authorization: `Bearer ${env.adminToken}` },
  });
  assert.equal(res.status, 200, `summary: ${res.status}`);
  return res.json();
}

async function eventually(env, check, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = await summary(env);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

export const tests = [
  {
    name: 'analytics: chat, thumbs-up, add_to_cart and a purchase tracked twice count once as chat-assisted',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/stats`);
        const frame = await openChat(page);
        await typeAndSend(frame, 'Is the linen throw washable?');
        await waitAnswers(frame, 1);
        // The thumbs are buttons reachable by keyboard: focus and press Enter.
        const up = frame.locator('.cp-assistant .cp-rate-up').last();
        await up.waitFor();
        await up.focus();
        await up.press('Enter');
        await frame.waitForSelector('.cp-rate-up[aria-pressed="true"]');
        // The loader learned the visitor from the iframe (in memory); the shop page reports conversions.
        await page.evaluate(() => {
          window.ChatProxy.track('add_to_cart', { sku: 'LINEN-1', value: 59.9, currency: 'EUR' });
          window.ChatProxy.track('purchase', { order_id: 'E2E-1001', value: 59.9, currency: 'EUR' });
          window.ChatProxy.track('purchase', { order_id: 'E2E-1001', value: 59.9, currency: 'EUR' });
        });
        const s = await eventually(env, (x) => x.assisted_conversions.count >= 1 && x.feedback.up >= 1);
        assert.equal(s.conversations, 1, JSON.stringify(s));
        assert.equal(s.feedback.up, 1, JSON.stringify(s));
        assert.equal(s.feedback.down, 0, JSON.stringify(s));
        assert.equal(s.conversions.count, 1, JSON.stringify(s));
        assert.equal(s.assisted_conversions.count, 1, JSON.stringify(s));
        assert.equal(s.assisted_conversions.value, 59.9, JSON.stringify(s));
        assert.equal(s.currency, 'EUR');
        assert.equal(s.messages, 1, JSON.stringify(s));
        assert.equal(s.answered, 1, JSON.stringify(s));
        assert.ok(s.first_token_ms.p50 !== null, 'first-token latency recorded');
      });
    },
  },
];
