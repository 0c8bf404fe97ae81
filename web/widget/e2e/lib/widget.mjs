// Page helpers for driving the widget the way a visitor would.
import assert from 'node:assert/strict';

export const LAUNCHER = '#chatproxy-root > button';
export const ANSWERS = '.cp-msg.cp-assistant:not(.cp-welcome)';

/** The chat iframe's Frame (for evaluate), once it exists. */
export async function chatFrame(page) {
  const handle = await page.waitForSelector('#chatproxy-frame', { state: 'attached' });
  const frame = await handle.contentFrame();
  assert.ok(frame, 'chat iframe has no frame');
  await frame.waitForSelector('#cp-input');
  return frame;
}

/** Clicks the launcher and waits until the chat can take a message. */
export async function openChat(page) {
  await page.locator(LAUNCHER).click();
  const frame = await chatFrame(page);
  await frame.waitForSelector('#cp-input:not([disabled])');
  return frame;
}

export async function typeAndSend(frame, text) {
  await frame.fill('#cp-input', text);
  await frame.press('#cp-input', 'Enter');
}

export async function answerCount(frame) {
  return frame.locator(ANSWERS).count();
}

/** Waits for `n` finished answers and returns the text of the last one. */
export async function waitAnswers(frame, n, timeout = 30000) {
  await frame.waitForFunction(
    ([sel, want]) => {
      const all = document.querySelectorAll(sel);
      const done = [...all].filter((el) => !el.classList.contains('cp-status-streaming'));
      return all.length >= want && done.length >= want;
    },
    [ANSWERS, n],
    { timeout, polling: 100 }, // rAF polling would stall in a hidden (closed) iframe
  );
  return lastAnswer(frame);
}

export async function lastAnswer(frame) {
  return frame.evaluate((sel) => {
    const all = document.querySelectorAll(sel);
    const last = all[all.length - 1];
    return last?.querySelector('.cp-bubble')?.textContent ?? '';
  }, ANSWERS);
}

/**
 * Starts recording every distinct text the newest answer bubble shows (while streaming);
 * call the returned function to stop and get them.
 */
export async function recordStreaming(frame) {
  await frame.evaluate((sel) => {
    const seen = [];
    const snap = () => {
      const all = document.querySelectorAll(sel);
      const text = all[all.length - 1]?.querySelector('.cp-bubble')?.textContent ?? '';
      if (text && seen[seen.length - 1] !== text) seen.push(text);
    };
    const obs = new MutationObserver(snap);
    obs.observe(document.body, { childList: true, subtree: true, characterData: true });
    window.__cpRecord = { seen, obs };
  }, ANSWERS);
  return () =>
    frame.evaluate(() => {
      window.__cpRecord.obs.disconnect();
      return window.__cpRecord.seen;
    });
}

/** Texts of all bubbles in order, as [role, text]. */
export async function transcript(frame) {
  return frame.evaluate(() =>
    [...document.querySelectorAll('.cp-msg:not(.cp-welcome)')].map((el) => [
      el.classList.contains('cp-user') ? 'user' : 'assistant',
      el.querySelector('.cp-bubble')?.textContent ?? '',
    ]),
  );
}

export async function until(fn, { timeout = 10000, interval = 50, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
