// Writes the TypeScript types of the chatproxy API from docs/openapi.yaml (openapi-typescript)
// into every app that calls the API. `--check` writes nothing and fails when a file is stale,
// so `make test` catches a document changed without `make api-types`.
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const root = new URL('../../', import.meta.url);
const source = new URL('docs/openapi.yaml', root);
const targets = ['web/widget/src/api/schema.gen.ts', 'web/admin/src/api/schema.gen.ts'];

const banner = `// Generated from docs/openapi.yaml by web/apigen (openapi-typescript). Do not edit:
// change the document and run \`make api-types\`.

`;

const ast = await openapiTS(source, { alphabetize: false, exportType: false });
const text = banner + astToString(ast);

const check = process.argv.includes('--check');
let stale = 0;
for (const target of targets) {
  const url = new URL(target, root);
  let current = null;
  try {
    current = await readFile(url, 'utf8');
  } catch {
    // missing: stale
  }
  if (current === text) continue;
  if (check) {
    console.error(`${target} is stale: run make api-types`);
    stale++;
    continue;
  }
  await mkdir(dirname(fileURLToPath(url)), { recursive: true });
  await writeFile(url, text);
  console.log(`wrote ${target}`);
}
if (stale > 0) process.exit(1);
