// Size budget gate, run after every build: the loader must stay ≤ 5 KB gzipped and the
// iframe app's first load (every JS/CSS file its index.html pulls in, plus their static
// imports) ≤ 80 KB gzipped. Exits non-zero when a budget is exceeded so the build fails.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../../internal/webui/dist');
const LOADER_BUDGET = 5 * 1024;
const APP_BUDGET = 80 * 1024;

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;

function fail(message) {
  console.error(`size-check: ${message}`);
  process.exitCode = 1;
}

function firstLoadFiles() {
  const html = readFileSync(join(dist, 'widget/index.html'), 'utf8');
  const refs = new Set();
  for (const m of html.matchAll(/(?:src|href)="(\/widget\/assets\/[^"]+\.(?:js|css))"/g)) refs.add(m[1]);
  // Follow static imports between chunks (`import … from "./x.js"`), never dynamic ones.
  const queue = [...refs].filter((r) => r.endsWith('.js'));
  while (queue.length > 0) {
    const ref = queue.pop();
    const code = readFileSync(join(dist, ref), 'utf8');
    for (const m of code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[^'"()]*?from\s*)?["'](\.\/[^"']+\.js)["']/g)) {
      const dep = `/widget/assets/${m[1].slice(2)}`;
      if (!refs.has(dep)) {
        refs.add(dep);
        queue.push(dep);
      }
    }
  }
  return [...refs];
}

const loader = join(dist, 'embed.js');
if (!existsSync(loader)) fail('dist/embed.js is missing');
else {
  const size = gz(loader);
  console.log(`embed.js (loader): ${kb(size)} gzipped (budget ${kb(LOADER_BUDGET)})`);
  if (size > LOADER_BUDGET) fail('embed.js is over its budget');
}

if (!existsSync(join(dist, 'widget/index.html'))) fail('dist/widget/index.html is missing');
else {
  let total = 0;
  for (const ref of firstLoadFiles()) {
    const size = gz(join(dist, ref));
    total += size;
    console.log(`  ${ref}: ${kb(size)} gzipped`);
  }
  console.log(`widget first load (JS+CSS): ${kb(total)} gzipped (budget ${kb(APP_BUDGET)})`);
  if (total > APP_BUDGET) fail('widget first load is over its budget');
  if (total === 0) fail('widget first load found no JS/CSS: the page references changed?');
}
