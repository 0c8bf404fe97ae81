// Empties internal/webui/dist before a build but keeps the committed .gitkeep,
// so `go build` still works on a fresh clone with no build output, and the console's build
// (admin/, made by web/admin) so the two builds can run in either order.
import { readdirSync, rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '../../../internal/webui/dist');
mkdirSync(dist, { recursive: true });
for (const name of readdirSync(dist)) {
  if (name !== '.gitkeep' && name !== 'admin') rmSync(join(dist, name), { recursive: true, force: true });
}
if (!existsSync(join(dist, '.gitkeep'))) writeFileSync(join(dist, '.gitkeep'), '');
