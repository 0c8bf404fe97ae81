// Network trouble: the connection is cut in the middle of an answer, and messages are typed
// while offline. Nothing may be lost or duplicated: the fake n8n counts what reaches it.
import assert from 'node:assert/strict';
import { SLOW_ANSWER, echoAnswer } from '../fake-n8n.mjs';
import { withBrowser } from '../lib/browser.mjs';
import { lastAnswer, openChat, transcript, typeAndSend, until, waitAnswers } from '../lib/widget.mjs';

export const tests = [
  {
    name: 'network cut mid-answer: the widget reconnects, resumes, and ends with the exact text once',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        const resumes = [];
        context.on('request', (req) => {
          if (req.url().includes('/api/v1/chat/stream?message_id=')) resumes.push(req.headers()['last-event-id'] ?? '');
        });
        await page.goto(`${env.shop.origin}/?relay=1`);
        const frame = await openChat(page);
        const question = 'Please answer slow';
        await typeAndSend(frame, question);
        // Wait until a few words are on screen, then pull the plug.
        await until(async () => (await lastAnswer(frame)).split(' ').length >= 4, { timeout: 15000, message: 'first words' });
        // Offline as the browser sees it, and every open connection dropped, as on a network switch.
        await context.setOffline(true);
        env.relay.cut();
        await frame.waitForSelector('.cp-banner-offline, .cp-banner-reconnecting', { timeout: 10000 });
        const during = await lastAnswer(frame);
        await page.waitForTimeout(2500); // the agent keeps writing while the visitor is offline
        env.relay.up();
        await context.setOffline(false);
        const answer = await waitAnswers(frame, 1, 40000);
        assert.equal(answer, SLOW_ANSWER, 'the resumed answer must be exactly the agent text');
        assert.ok(during.length < SLOW_ANSWER.length, 'the cut should have happened before the end');
        assert.ok(resumes.length >= 1, 'the widget should resume with GET /chat/stream?message_id=…');
        assert.ok(resumes.every((id) => /^.+-\d+$/.test(id)), `resume must send Last-Event-ID, sent ${JSON.stringify(resumes)}`);
        assert.equal(env.fake.count(question), 1, 'the agent must be called exactly once');
        assert.deepEqual(await transcript(frame), [
          ['user', question],
          ['assistant', SLOW_ANSWER],
        ]);
        await frame.waitForSelector('.cp-banner', { state: 'detached', timeout: 5000 });
      });
    },
  },
  {
    name: 'messages typed offline are queued, then delivered once each, in order',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/?relay=1`);
        const frame = await openChat(page);
        await context.setOffline(true);
        env.relay.cut();
        await frame.waitForSelector('.cp-banner-offline');
        const first = 'Queued while offline one';
        const second = 'Queued while offline two';
        await typeAndSend(frame, first);
        await typeAndSend(frame, second);
        await frame.waitForSelector('.cp-status-queued >> nth=1');
        const notes = await frame.locator('.cp-status-queued .cp-note').allTextContents();
        assert.deepEqual(notes, ['Waiting to send…', 'Waiting to send…']);
        await page.waitForTimeout(1500);
        assert.equal(env.fake.count(first) + env.fake.count(second), 0, 'nothing may be sent while offline');
        env.relay.up();
        await context.setOffline(false);
        await waitAnswers(frame, 2, 30000);
        assert.equal(env.fake.count(first), 1);
        assert.equal(env.fake.count(second), 1);
        assert.deepEqual(await transcript(frame), [
          ['user', first],
          ['assistant', echoAnswer(first)],
          ['user', second],
          ['assistant', echoAnswer(second)],
        ]);
        // A reload shows the same conversation from the server: nothing stored twice.
        await page.reload();
        const again = await openChat(page);
        await again.waitForFunction(() => document.querySelectorAll('.cp-msg:not(.cp-welcome)').length >= 4);
        await page.waitForTimeout(300);
        assert.equal((await transcript(again)).length, 4);
      });
    },
  },
  {
    name: 'reload in the middle of an answer: the widget rejoins the same reply, the agent is called once',
    async run(env) {
      await withBrowser({}, async ({ context }) => {
        const page = await context.newPage();
        await page.goto(`${env.shop.origin}/`);
        const frame = await openChat(page);
        const question = 'Reload me while slow';
        await typeAndSend(frame, question);
        await until(async () => (await lastAnswer(frame)).split(' ').length >= 3, { timeout: 15000, message: 'first words' });
        await page.reload();
        const again = await openChat(page);
        await again.waitForFunction(
          (want) => [...document.querySelectorAll('.cp-msg.cp-assistant:not(.cp-welcome) .cp-bubble')].some((b) => b.textContent === want),
          SLOW_ANSWER,
          { timeout: 40000, polling: 100 },
        );
        await page.waitForTimeout(500);
        assert.deepEqual(await transcript(again), [
          ['user', question],
          ['assistant', SLOW_ANSWER],
        ]);
        assert.equal(env.fake.count(question), 1, 'the agent must be called exactly once');
      });
    },
  },
];
