import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root (the folder with package.json), whether running from src/ or dist/src/. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('roomcast: package.json not found above the server code');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findRoot();
/** Hand-written pages and styles. */
export const publicDir = join(projectRoot, 'public');
/** What esbuild makes from web-components/, served at /assets/. */
export const webBuildDir = join(projectRoot, 'dist', 'web');
