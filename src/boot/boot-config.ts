// Where the shipped minimal bootable configurations are (boot/*.config in the package).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { BOOT_ARCHES, type BootArch } from './arches.js';

/** The KCONFIG_ALLCONFIG fragment for ARCH (default: x86_64), as an absolute path. */
export function bootConfigPath(arch = 'x86_64'): string {
  const name = arch === 'x86' ? 'x86_64' : arch;
  if (!(name in BOOT_ARCHES)) throw new UserError(`boot-config: no fragment for '${arch}' (known: ${Object.keys(BOOT_ARCHES).join(', ')})`);
  // dist/kbuild-container.cjs and dist/boot/*.js both sit one or two levels under the package.
  for (const rel of ['../boot/', '../../boot/']) {
    const file = fileURLToPath(new URL(rel + BOOT_ARCHES[name as BootArch].fragment, import.meta.url));
    if (fs.existsSync(file)) return file;
  }
  throw new UserError(`boot-config: ${BOOT_ARCHES[name as BootArch].fragment} is missing from this installation`);
}
