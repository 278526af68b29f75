// Read a Kconfig .config and say which options a boot needs but lacks. Pure.
import { BOOT_ARCHES, type BootArch } from './arches.js';

/** `CONFIG_FOO=y` lines → FOO → y; `# CONFIG_FOO is not set` and comments are left out. */
export function parseKconfig(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) options.set(m[1], m[2]);
  }
  return options;
}

/** The CONFIG_ names a boot of this architecture needs that are not built in (=m does not count: no modules in the guest). */
export function missingBootOptions(arch: BootArch, config: ReadonlyMap<string, string>): string[] {
  return BOOT_ARCHES[arch].requiredConfig.filter((name) => config.get(name) !== 'y').map((name) => `CONFIG_${name}`);
}
