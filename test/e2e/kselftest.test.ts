// kselftest in the boot loop, against real engines, a real kernel and real
// QEMU: the `size` selftest built in the korg-kselftest image into a private
// copy of boot.test.ts's x86_64 build (shared-builds.ts; the shared O= dir is
// never written), then run in the booted guest with BOOT_KSELFTEST.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_BUILDS, builtElsewhere, sharedBuild, sharedCopy } from './shared-builds.js';
import { kernelTree, removeScratch, runMake, type MakeResult } from './support.js';

// The family's images (scripts/build-images.sh builds them); the variables let a run use other copies.
const KSELFTEST = process.env.KBC_KSELFTEST_IMAGE ?? 'korg-kselftest';
const QEMU_X86 = process.env.KBC_BOOT_QEMU_X86 ?? 'korg-qemu:x86';

const spec = BOOT_BUILDS.x86_64;
const tree = kernelTree(spec.kernel);
let out = '';
let install: MakeResult;
afterAll(() => {
  if (out) removeScratch(out);
});

/** With KBC_BOOT_FIXTURES=DIR, the console of a boot is kept there (how test/unit/boot/fixtures were made). */
function keepConsole(name: string, stdout: string): void {
  const dir = process.env.KBC_BOOT_FIXTURES;
  if (dir) fs.writeFileSync(path.join(dir, name), stdout);
}

const linesStarting = (stderr: string, start: string) => stderr.split('\n').filter((l) => l.startsWith(start));
const boot = (vars: string[]) => runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${out}`, ...vars, 'boot']);

describe('kselftest: linux 6.1 x86_64 (built with Clang on docker), size built in korg-kselftest, run in the guest', () => {
  beforeAll(async () => {
    const shared = await sharedBuild(spec);
    console.log(`6.1 x86_64: -j2 ${spec.goal} ${shared.build.ms} ms${builtElsewhere(shared)}`);
    expect(shared.build.exitCode, shared.build.stderr.slice(-3000)).toBe(0);
    out = await sharedCopy(shared, 'kbc-kselftest-');
    // The documented line: TARGETS from the pristine read-only tree, everything written below O=.
    install = await runMake(spec.engine, tree, [`CONTAINER=${KSELFTEST}`, `O=${out}`, '-j2', 'TARGETS=size sigaltstack', 'kselftest-install']);
    console.log(`-j2 kselftest-install TARGETS="size sigaltstack": ${install.ms} ms`);
  });

  it('kselftest-install builds size and sigaltstack into O=/kselftest/kselftest_install', () => {
    expect(install.exitCode, install.stderr.slice(-3000)).toBe(0);
    const dir = path.join(out, 'kselftest/kselftest_install');
    expect(fs.readFileSync(path.join(dir, 'kselftest-list.txt'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['size:get_size', 'sigaltstack:sas']));
    expect(fs.statSync(path.join(dir, 'size/get_size')).mode & 0o111).not.toBe(0);
  });

  it('BOOT_KSELFTEST=size: the TAP result on the console, the summary line, exit 0', async () => {
    const r = await boot(['BOOT_KSELFTEST=size']);
    console.log(`boot BOOT_KSELFTEST=size: ${r.ms} ms; ${linesStarting(r.stderr, 'kbuild-container: boot').join(' / ')}`);
    keepConsole('x86_64-6.1-kselftest-size.log', r.stdout);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('ok 1 selftests: size: get_size');
    expect(linesStarting(r.stderr, 'kbuild-container: boot kselftest:')).toEqual(['kbuild-container: boot kselftest: 1 passed, 0 failed, 0 skipped']);
  });

  it('a dynamically linked selftest (sigaltstack, glibc) runs: the libraries are copied into the initramfs', async () => {
    const r = await boot(['BOOT_KSELFTEST=sigaltstack']);
    console.log(`boot BOOT_KSELFTEST=sigaltstack: ${r.ms} ms`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split('\n')).toContain('ok 1 selftests: sigaltstack: sas');
    expect(linesStarting(r.stderr, 'kbuild-container: boot kselftest:')).toEqual(['kbuild-container: boot kselftest: 1 passed, 0 failed, 0 skipped']);
  });

  it('a failing selftest fails make, named under the summary', async () => {
    // A collection of our own in the private install directory (not the tree): a script exiting 1.
    const dir = path.join(out, 'kselftest/kselftest_install');
    fs.mkdirSync(path.join(dir, 'fails'));
    fs.writeFileSync(path.join(dir, 'fails/exit1.sh'), '#!/bin/sh\necho about to fail\nexit 1\n', { mode: 0o755 });
    fs.appendFileSync(path.join(dir, 'kselftest-list.txt'), 'fails:exit1.sh\n');
    const r = await boot(['BOOT_KSELFTEST=size fails']);
    console.log(`boot BOOT_KSELFTEST="size fails": ${r.ms} ms`);
    keepConsole('x86_64-6.1-kselftest-fail.log', r.stdout);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/Error 1/);
    expect(r.stdout.split('\n')).toContain('not ok 1 selftests: fails: exit1.sh # exit=1');
    expect(linesStarting(r.stderr, 'kbuild-container: boot kselftest:')).toEqual(['kbuild-container: boot kselftest: 1 passed, 1 failed, 0 skipped']);
    expect(r.stderr).toContain('    | not ok 1 selftests: fails: exit1.sh # exit=1');
  });

  it('a collection that is not installed: one line, non-zero, nothing booted', async () => {
    const r = await boot(['BOOT_KSELFTEST=bpf']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/^kbuild-container: BOOT_KSELFTEST: bpf not installed in \S+ \(installed: size/m);
    expect(r.stderr).not.toMatch(/ BOOT {4}/);
  });
});
