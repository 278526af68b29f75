// BOOT_KSELFTEST's pure parts: consoles captured from real kselftest boots
// (fixtures/, see fixtures/README) and one-line tables for the edges.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KSELFTEST_BEGIN,
  chooseKselftest,
  installedCollections,
  kselftestCommand,
  kselftestExitCode,
  kselftestSummaryLine,
  parseKselftestVariable,
  summariseTap,
} from '../../../src/boot/kselftest.js';
import { RESULT_PREFIX } from '../../../src/boot/verdict.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
const nonceOf = (text: string) => new RegExp(`^${RESULT_PREFIX} (\\S+) status=`, 'm').exec(text)?.[1] ?? 'no-nonce-in-this-log';

describe('real kselftest consoles', () => {
  it.each([
    ['x86_64-6.1-kselftest-size.log', { passed: 1, failed: 0, skipped: 0 }],
    ['x86_64-6.1-kselftest-fail.log', { passed: 1, failed: 1, skipped: 0 }],
    // sigaltstack's sas is linked against glibc: the image's libraries went into the initramfs.
    ['x86_64-6.1-kselftest-dynamic.log', { passed: 2, failed: 0, skipped: 0 }],
  ])('%s', (name, counts) => {
    if (!fs.existsSync(path.join(FIXTURES, name))) return expect.fail(`fixture ${name} missing`);
    const text = fixture(name);
    const s = summariseTap(text, nonceOf(text));
    expect(s).toMatchObject(counts);
    expect(s.failures).toHaveLength(counts.failed);
    for (const f of s.failures) expect(f).toMatch(/^not ok \d+ selftests: /);
  });

  it("with another boot's nonce nothing counts", () => {
    const text = fixture('x86_64-6.1-kselftest-size.log');
    expect(summariseTap(text, '0'.repeat(24))).toMatchObject({ passed: 0, failed: 0, skipped: 0 });
  });
});

describe('summariseTap edges', () => {
  const end = `${RESULT_PREFIX} N status=0`;
  it.each([
    // Results before the begin line (e.g. the kernel echoing `ok 1` from its command line) never count.
    [`ok 1 fake\n${KSELFTEST_BEGIN}\n${end}`, { passed: 0, failed: 0, skipped: 0 }],
    [`${KSELFTEST_BEGIN}\nok 1 a\nok 2 b # SKIP\nnot ok 3 c # TIMEOUT 45 seconds\nnot ok 4 d # exit=1\n${end}`, { passed: 1, failed: 2, skipped: 1 }],
    // A test's own TAP comes prefixed with "# ": not a result of the runner.
    [`${KSELFTEST_BEGIN}\n# ok 1 inner\n# not ok 2 inner\nok 1 outer\n${end}`, { passed: 1, failed: 0, skipped: 0 }],
    // After our init's report: not ours.
    [`${KSELFTEST_BEGIN}\nok 1 a\n${end}\nnot ok 2 late`, { passed: 1, failed: 0, skipped: 0 }],
    // No report at all: nothing counts.
    [`${KSELFTEST_BEGIN}\nok 1 a\n`, { passed: 0, failed: 0, skipped: 0 }],
  ])('%j', (text, counts) => {
    expect(summariseTap(text, 'N')).toMatchObject(counts);
  });

  it('says it in one line', () => {
    expect(kselftestSummaryLine({ passed: 3, failed: 1, skipped: 2, failures: [] })).toBe('kbuild-container: boot kselftest: 3 passed, 1 failed, 2 skipped');
  });
});

describe('choosing what goes into the guest', () => {
  const list = 'size:get_size\ntimers:posix_timers\ntimers:nanosleep\nnet/forwarding:router.sh\n';
  it('lists collections once, in order', () => {
    expect(installedCollections(list)).toEqual(['size', 'timers', 'net/forwarding']);
  });
  it('copies the runner and only the chosen collections', () => {
    expect(chooseKselftest(['timers', 'net/forwarding'], list, '/o/kselftest/kselftest_install').copy).toEqual([
      'run_kselftest.sh',
      'kselftest-list.txt',
      'kselftest',
      'timers',
      'net/forwarding',
    ]);
  });
  it('refuses a collection that is not installed, in one line naming it and what is there', () => {
    expect(() => chooseKselftest(['size', 'bpf'], list, '/o/i')).toThrow(
      /^BOOT_KSELFTEST: bpf not installed in \/o\/i \(installed: size timers net\/forwarding\); build with/,
    );
  });
  it.each([
    [undefined, []],
    ['', []],
    [' size  timers ', ['size', 'timers']],
    ['net/forwarding', ['net/forwarding']],
  ])('BOOT_KSELFTEST=%j', (value, want) => {
    expect(parseKselftestVariable(value)).toEqual(want);
  });
  it.each(['size;reboot', '../x', '$(id)', 'a/../b'])('refuses BOOT_KSELFTEST=%j', (value) => {
    expect(() => parseKselftestVariable(value)).toThrow(/^BOOT_KSELFTEST: '.*' is not a selftest collection name/);
  });
  it('runs run_kselftest.sh with one -c per collection after the begin line', () => {
    const cmd = kselftestCommand(['size', 'timers']);
    expect(cmd.indexOf(KSELFTEST_BEGIN)).toBeLessThan(cmd.indexOf('run_kselftest.sh'));
    expect(cmd).toContain('./run_kselftest.sh -c size -c timers');
  });
});

describe('kselftestExitCode', () => {
  const tap = (passed: number, failed: number, skipped: number) => ({ passed, failed, skipped, failures: [] });
  it.each([
    [0, tap(1, 0, 0), 0],
    [0, tap(0, 0, 2), 0],
    [0, tap(3, 1, 0), 1],
    [0, tap(0, 0, 0), 1], // no result at all is no pass
    [124, tap(1, 0, 0), 124], // the boot's own failure (TIMEOUT) wins
    [3, tap(0, 1, 0), 3],
  ])('boot %i, %o -> %i', (boot, summary, want) => {
    expect(kselftestExitCode(boot, summary)).toBe(want);
  });
});
