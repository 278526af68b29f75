// The package's version, read from its package.json only when asked (--version):
// dist/version.js and the bundle dist/kbuild-container.cjs both sit one level below it.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The version in the package.json beside dist/. */
export function packageVersion(): string {
  try {
    const file = fileURLToPath(new URL('../package.json', import.meta.url));
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown'; // a copied bundle without its package: the commands still work
  }
}
