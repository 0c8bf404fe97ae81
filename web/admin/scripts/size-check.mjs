// Size budget gate, run after every build: the console's first load (every JS/CSS file
// index.html pulls in, plus their static imports; lazy chunks such as the conversations pages
// and the preview page are not part of it) must stay ≤ 150 KB gzipped. Exits non-zero when it
// is over, so `npm run build` (and `make build`) fail.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../../internal/webui/dist');
const BUDGET = Number(process.env.ADMIN_FIRST_LOAD_BUDGET || 150 * 1024);

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;

/** The JS and CSS a page loads before it can draw: its tags, then static imports, transitively. */
export function firstLoadFiles(page) {
  const html = readFileSync(join(dist, page), 'utf8');
  const refs = new Set();
  for (const m of html.matchAll(/(?:src|href)="(\/admin\/assets\/[^"]+\.(?:js|css))"/g)) refs.add(m[1]);
  const queue = [...refs].filter((r) => r.endsWith('.js'));
  while (queue.length > 0) {
    const ref = queue.pop();
    const code = readFileSync(join(dist, ref), 'utf8');
    for (const m of code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[^'"()]*?from\s*)?["'](\.\/[^"']+\.js)["']/g)) {
      const dep = `/admin/assets/${m[1].slice(2)}`;
      if (!refs.has(dep)) {
        refs.add(dep);
        queue.push(dep);
      }
    }
  }
  return [...refs];
}

let failed = false;
for (const page of ['admin/index.html', 'admin/preview.html']) {
  if (!existsSync(join(dist, page))) {
    console.error(`size-check: dist/${page} is missing`);
    failed = true;
    continue;
  }
  let total = 0;
  for (const ref of firstLoadFiles(page)) {
    const size = gz(join(dist, ref));
    total += size;
    console.log(`  ${ref}: ${kb(size)} gzipped`);
  }
  console.log(`${page} first load (JS+CSS): ${kb(total)} gzipped${page === 'admin/index.html' ? ` (budget ${kb(BUDGET)})` : ''}`);
  if (total === 0) {
    console.error(`size-check: ${page} loads no JS/CSS: the page references changed?`);
    failed = true;
  }
  if (page === 'admin/index.html' && total > BUDGET) {
    console.error('size-check: the console first load is over its budget');
    failed = true;
  }
}
if (failed) process.exitCode = 1;
