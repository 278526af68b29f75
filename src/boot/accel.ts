// KVM or TCG. /dev/kvm being there proves nothing (on a nested paravirtual
// host it opens, and a KVM guest then prints nothing: measured), so `auto`
// boots a tiny probe under KVM once per host boot and remembers the answer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BootVerdict } from './verdict.js';

export type KvmDevice = 'absent' | 'no-access' | 'present';

export interface AccelChoice {
  accel: 'kvm' | 'tcg';
  /** The one line that says which, and why. */
  line: string;
}

/** Decide from the setting, the device and a remembered probe; `probe` when only a probe can tell. Pure. */
export function decideAccel(setting: 'auto' | 'kvm' | 'tcg', device: KvmDevice, remembered?: string): AccelChoice | 'probe' {
  if (setting === 'tcg') return { accel: 'tcg', line: 'TCG (BOOT_ACCEL=tcg)' };
  if (setting === 'kvm') return { accel: 'kvm', line: 'KVM (BOOT_ACCEL=kvm)' };
  if (device === 'absent') return { accel: 'tcg', line: 'TCG (no /dev/kvm)' };
  if (device === 'no-access') return { accel: 'tcg', line: 'TCG (/dev/kvm not readable and writable by you)' };
  if (remembered === 'kvm') return { accel: 'kvm', line: 'KVM (probed earlier this host boot)' };
  if (remembered !== undefined) return { accel: 'tcg', line: `TCG (/dev/kvm is there but a KVM probe boot failed earlier this host boot: ${remembered})` };
  return 'probe';
}

/** Choose, probing with `bootProbe` (a quiet boot of the kernel under KVM) when the device is there but untried. */
export async function chooseAccel(
  setting: 'auto' | 'kvm' | 'tcg',
  bootProbe: (accel: 'kvm') => Promise<{ verdict: BootVerdict } | { interrupted: unknown }>,
): Promise<AccelChoice> {
  const cache = probeCacheFile();
  const remembered = readFirstLine(cache);
  const decided = decideAccel(setting, kvmDevice(), remembered);
  if (decided !== 'probe') return decided;
  const probe = await bootProbe('kvm');
  const answer =
    'verdict' in probe && probe.verdict.verdict === 'PASS'
      ? 'kvm'
      : `probe ${'verdict' in probe ? `${probe.verdict.verdict}: ${probe.verdict.reason}` : 'interrupted'}`;
  try {
    fs.mkdirSync(path.dirname(cache), { recursive: true });
    fs.writeFileSync(cache, answer + '\n');
  } catch {
    // Not remembering only costs the next boot another probe.
  }
  const again = decideAccel(setting, 'present', answer);
  return again === 'probe' ? { accel: 'tcg', line: 'TCG' } : again;
}

function kvmDevice(): KvmDevice {
  if (!fs.existsSync('/dev/kvm')) return 'absent';
  try {
    fs.accessSync('/dev/kvm', fs.constants.R_OK | fs.constants.W_OK);
    return 'present';
  } catch {
    return 'no-access';
  }
}

// One answer per host boot: boot_id changes when the machine restarts.
function probeCacheFile(): string {
  const bootId = readFirstLine('/proc/sys/kernel/random/boot_id') ?? 'unknown';
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kbuild-container', `kvm-probe-${bootId}`);
}

function readFirstLine(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}
