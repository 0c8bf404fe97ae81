// Helpers for driving the console: axe-core checks, screenshots, CSP-violation watch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Screenshots hold ports, times and one-time secrets, so each run's differ: a run writes them
// to e2e/tmp/screenshots (ignored), and `npm run e2e:screenshots` refreshes the committed set.
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), process.env.UPDATE_SCREENSHOTS ? '../screenshots' : '../tmp/screenshots');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Serious and critical axe-core violations in a frame (evaluate is not subject to the page CSP). */
export async function axeViolations(frame) {
  await frame.evaluate(AXE_SOURCE);
  const violations = await frame.evaluate(() =>
    window.axe.run(document, { iframes: false, resultTypes: ['violations'] }).then((r) => r.violations),
  );
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function assertAccessible(page, what) {
  assert.deepEqual(await axeViolations(page.mainFrame()), [], `axe on ${what}`);
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** Collects CSP violations and page errors; call check() to fail on any. */
export function watch(page) {
  const problems = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return {
    check(what) {
      assert.deepEqual(problems, [], `problems on ${what}`);
    },
  };
}

/** The page's width fits the viewport (nothing makes the phone layout scroll sideways). */
export async function assertNoSideScroll(page, what) {
  const width = page.viewportSize().width; // not innerWidth: a phone widens its layout viewport to fit wide content
  const [scroll, wide] = await page.evaluate((w) => [
    document.documentElement.scrollWidth,
    [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 1).slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
  ], width);
  assert.ok(scroll <= width + 1, `${what}: page is ${scroll}px wide on a ${width}px screen (${wide.join(', ')})`);
}

export async function heading(page, text) {
  await page.getByRole('heading', { level: 1, name: text }).waitFor({ timeout: 15000 });
}
