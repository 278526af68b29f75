// The verdict from console text: consoles captured from real boots (fixtures/,
// made by `make ... boot` on this project's machine, see fixtures/README) and
// one-line tables for the edges.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOOT_EXIT, RESULT_PREFIX, decideVerdict } from '../../../src/boot/verdict.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');
/** The nonce the real boot used: it is in its result line. */
const nonceOf = (text: string) => new RegExp(`^${RESULT_PREFIX} (\\S+) status=`, 'm').exec(text)?.[1] ?? 'no-nonce-in-this-log';

describe('real consoles', () => {
  it.each([
    ['x86_64-debian-6.1-pass.log', false, 'PASS', 'guest command exited 0', 0],
    ['x86_64-debian-6.1-exit3.log', false, 'FAIL', 'guest command exited 3', 3],
    // rdinit and init both missing: this kernel (CONFIG_BLOCK) first fails to mount a root device.
    ['x86_64-debian-6.1-no-init.log', false, 'FAIL', 'kernel panic', BOOT_EXIT.kernelFailure],
    ['x86_64-debian-6.1-init-exits.log', false, 'FAIL', 'init exited (kernel panic)', BOOT_EXIT.kernelFailure],
    ['x86_64-debian-6.1-panic-sysrq.log', false, 'FAIL', 'kernel panic', BOOT_EXIT.kernelFailure],
    ['x86_64-debian-6.1-hang.log', true, 'TIMEOUT', 'no result before BOOT_TIMEOUT', BOOT_EXIT.timeout],
    ['arm64-debian-6.1-pass.log', false, 'PASS', 'guest command exited 0', 0],
    // The minimal configuration (boot/x86_64.config), written by test/e2e/boot.test.ts: no time stamps.
    ['x86_64-6.1-pass.log', false, 'PASS', 'guest command exited 0', 0],
    ['x86_64-6.1-exit3.log', false, 'FAIL', 'guest command exited 3', 3],
    ['x86_64-6.1-no-init.log', false, 'FAIL', 'kernel panic', BOOT_EXIT.kernelFailure],
    ['x86_64-6.1-init-exits.log', false, 'FAIL', 'init exited (kernel panic)', BOOT_EXIT.kernelFailure],
    ['x86_64-6.1-hang.log', true, 'TIMEOUT', 'no result before BOOT_TIMEOUT', BOOT_EXIT.timeout],
  ])('%s (timed out: %s)', (name, timedOut, verdict, reason, exitCode) => {
    if (!fs.existsSync(path.join(FIXTURES, name))) return expect.fail(`fixture ${name} missing`);
    const text = fixture(name);
    const v = decideVerdict({ console: text, nonce: nonceOf(text), timedOut });
    expect(v).toMatchObject({ verdict, reason, exitCode });
    if (verdict === 'FAIL' && exitCode === BOOT_EXIT.kernelFailure) expect(v.evidence.length).toBeGreaterThan(0);
  });

  it("a passing console with another boot's nonce is no PASS", () => {
    const text = fixture('x86_64-debian-6.1-pass.log');
    expect(decideVerdict({ console: text, nonce: '0'.repeat(24), timedOut: false }).verdict).toBe('FAIL');
    expect(decideVerdict({ console: text, nonce: '0'.repeat(24), timedOut: true }).verdict).toBe('TIMEOUT');
  });
});

describe('edges', () => {
  const N = 'abc123';
  const ok = `${RESULT_PREFIX} ${N} status=0`;
  it.each([
    ['result line', `Linux version 6.1\n6.1.0\n${ok}\n`, false, 'PASS', 0],
    ['CRLF console', `Linux version 6.1\r\n6.1.0\r\n${ok}\r\n`, false, 'PASS', 0],
    ['time-stamped result', `[    1.000000] x\n[    2.5] ${ok}\n`, false, 'PASS', 0],
    ['result not at a line start', `echo: ${ok}\n`, false, 'FAIL', 1],
    ['kernel echoing a look-alike', `Kernel command line: console=ttyS0 ${RESULT_PREFIX} status=0\n`, false, 'FAIL', 1],
    ['wrong nonce', `${RESULT_PREFIX} abc12 status=0\n`, false, 'FAIL', 1],
    ['status passed through', `${RESULT_PREFIX} ${N} status=42\n`, false, 'FAIL', 42],
    ['panic after a pass still fails', `${ok}\nKernel panic - not syncing: Attempted to kill init! exitcode=0x0\n`, false, 'FAIL', 1],
    ['oops before a pass fails', `BUG: kernel NULL pointer dereference, address: 0000000000000000\nOops: 0002 [#1] PREEMPT\n${ok}\n`, false, 'FAIL', 1],
    ['time-stamped panic', `[    0.5] Kernel panic - not syncing: VFS: Unable to mount root fs\n`, false, 'FAIL', 1],
    ['empty console', '', false, 'FAIL', 1],
    ['empty console, timed out', '', true, 'TIMEOUT', 124],
    ['stopped without a result', 'Linux version 6.1\nRun /init as init process\n', false, 'FAIL', 1],
    ['a guest line mentioning BUG mid-line is no oops', `no BUG: here\n${ok}\n`, false, 'PASS', 0],
  ])('%s', (_, text, timedOut, verdict, exitCode) => {
    expect(decideVerdict({ console: text, nonce: N, timedOut })).toMatchObject({ verdict, exitCode });
  });
  it('names the reason for an empty console', () => {
    expect(decideVerdict({ console: '', nonce: N, timedOut: false }).reason).toMatch(/^no console output/);
  });
});
