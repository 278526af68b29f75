// BOOT_KSELFTEST: which installed selftests go into the guest, the guest
// command that runs them, and their TAP results read back from the console.
// Pure: tested with consoles captured from real boots (test/unit/boot/fixtures).
import { UserError } from '../errors.js';
import { RESULT_PREFIX } from './verdict.js';

/** Where `make O=DIR kselftest-install` puts the selftests, relative to O= (tools/testing/selftests/Makefile's default). */
export const KSELFTEST_INSTALL = 'kselftest/kselftest_install';

/** Where the selftests are in the guest. */
export const GUEST_KSELFTEST = '/kselftest';

/** Printed by the guest command before run_kselftest.sh: TAP lines count only after it. */
export const KSELFTEST_BEGIN = 'kbuild-container-kselftest-begin';

/** What to copy into the initramfs and run: the runner's own files plus each chosen collection's directory. */
export interface KselftestChoice {
  collections: string[];
  /** Paths relative to the install directory. */
  copy: string[];
}

/** The collections of kselftest-list.txt (`collection:test` lines), in their order. */
export function installedCollections(listText: string): string[] {
  const seen: string[] = [];
  for (const line of listText.split('\n')) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const collection = line.slice(0, at);
    if (!seen.includes(collection)) seen.push(collection);
  }
  return seen;
}

/**
 * BOOT_KSELFTEST's collections against what is installed: every one must be
 * (one line naming the missing ones and what is there); the copy list never
 * takes the whole install directory, only what these collections run.
 */
export function chooseKselftest(wanted: string[], listText: string, installDir: string): KselftestChoice {
  const installed = installedCollections(listText);
  const missing = wanted.filter((c) => !installed.includes(c));
  if (missing.length > 0) {
    throw new UserError(
      `BOOT_KSELFTEST: ${missing.join(' ')} not installed in ${installDir} (installed: ${installed.join(' ') || 'none'}); build with make CONTAINER=korg-kselftest O=... TARGETS="${wanted.join(' ')}" kselftest-install`,
    );
  }
  return { collections: wanted, copy: ['run_kselftest.sh', 'kselftest-list.txt', 'kselftest', ...wanted] };
}

/** BOOT_KSELFTEST's words, or none: collections are directory names, nothing a shell would read specially. */
export function parseKselftestVariable(value: string | undefined): string[] {
  const words = (value ?? '').split(/\s+/).filter(Boolean);
  const bad = words.find((w) => !/^[A-Za-z0-9_.+-]+(\/[A-Za-z0-9_.+-]+)*$/.test(w) || w.split('/').includes('..'));
  if (bad !== undefined) throw new UserError(`BOOT_KSELFTEST: '${bad}' is not a selftest collection name (e.g. BOOT_KSELFTEST="size timers")`);
  return words;
}

/**
 * The guest command: run_kselftest.sh under busybox sh. Its runner logs to
 * /dev/stdout, which only udev would create, so it is linked here.
 */
export function kselftestCommand(collections: string[]): string {
  return [
    '[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout',
    `echo ${KSELFTEST_BEGIN}`,
    `cd ${GUEST_KSELFTEST} && ./run_kselftest.sh ${collections.map((c) => `-c ${c}`).join(' ')}`,
  ].join('\n');
}

export interface TapSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** The `not ok` lines, as printed. */
  failures: string[];
}

// A top-level TAP result of run_kselftest.sh (a test's own TAP comes prefixed with "# ").
const RESULT = /^(not )?ok \d+\b(.*)$/;

/**
 * Count the TAP results between our begin line and this boot's result line
 * (with its nonce): nothing before the guest command ran (the kernel's echo
 * of its command line included) and nothing without our init's report counts.
 */
export function summariseTap(consoleText: string, nonce: string): TapSummary {
  const lines = consoleText.split('\n').map((l) => l.replace(/\r/g, ''));
  const begin = lines.indexOf(KSELFTEST_BEGIN);
  const end = lines.findIndex((l) => l.startsWith(`${RESULT_PREFIX} ${nonce} status=`));
  const summary: TapSummary = { passed: 0, failed: 0, skipped: 0, failures: [] };
  if (begin < 0 || end < begin) return summary;
  for (const line of lines.slice(begin + 1, end)) {
    const m = RESULT.exec(line);
    if (!m) continue;
    const directive = /#\s*(\w+)/.exec(m[2] ?? '')?.[1]?.toUpperCase();
    if (m[1]) {
      summary.failed++;
      summary.failures.push(line);
    } else if (directive === 'SKIP') summary.skipped++;
    else summary.passed++;
  }
  return summary;
}

/** The one line that ends a kselftest boot. */
export function kselftestSummaryLine(s: TapSummary): string {
  return `kbuild-container: boot kselftest: ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
}

/** make's status after a boot that ran selftests: the boot's own when it failed; else 1 when a test failed or none reported at all. */
export function kselftestExitCode(bootExitCode: number, s: TapSummary): number {
  if (bootExitCode !== 0) return bootExitCode;
  return s.failed > 0 || s.passed + s.skipped === 0 ? 1 : 0;
}
