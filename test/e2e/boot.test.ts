// `make ... boot` against real engines, real kernels and real QEMU (TCG here:
// this machine's /dev/kvm does not run guests). The kernels are the minimal
// bootable configuration (allnoconfig + boot/ARCH.config), each built once
// per run and shared with matrix.test.ts's cell of the same kernel, toolchain
// and engine (shared-builds.ts); every boot takes seconds.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_BUILDS, builtElsewhere, sharedBuild, type BuildSpec, type SharedBuild } from './shared-builds.js';
import { kernelTree, processesMentioning, removeScratch, runMake, scratchDir, startMake, stopRunningMakes, waitFor } from './support.js';

// The family's korg-qemu images (scripts/build-images.sh builds them); the variables let a run use other copies.
const QEMU_X86 = process.env.KBC_BOOT_QEMU_X86 ?? 'korg-qemu:x86';
const QEMU_ARM64 = process.env.KBC_BOOT_QEMU_ARM64 ?? 'korg-qemu:arm64';

const dirs: string[] = [];
const scratch = (prefix: string) => {
  const d = scratchDir('podman', prefix);
  dirs.push(d);
  return d;
};
afterEach(stopRunningMakes);
afterAll(() => dirs.forEach(removeScratch));

/** Boot containers (ours are named kbuild-boot-*; builds running beside these tests are not counted). */
async function bootContainers(): Promise<string[]> {
  const { stdout } = await execa('podman', ['ps', '-a', '--filter', 'label=io.kbuild-container.run', '--format', '{{.Names}}'], { reject: false });
  return String(stdout)
    .split('\n')
    .filter((n) => n.startsWith('kbuild-boot-'));
}

/** QEMU processes on the host that belong to a boot of `dir` (the kernel path is on their command line). */
async function qemuOf(dir: string) {
  return (await processesMentioning(dir)).filter((p) => /qemu-system/.test(p.cmd));
}

/** With KBC_BOOT_FIXTURES=DIR, the console of a boot is kept there (how test/unit/boot/fixtures were made). */
function keepConsole(name: string, stdout: string): void {
  const dir = process.env.KBC_BOOT_FIXTURES;
  if (dir) fs.writeFileSync(path.join(dir, name), stdout);
}

/** The console part of a build-and-boot's stdout: from the kernel's first line on. */
const consoleOf = (stdout: string) => stdout.slice(Math.max(0, stdout.search(/^(\[[ \d.]+\] )?Linux version /m)));

const summary = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('kbuild-container: boot ')) ?? '';

/** The shared build of `spec`, checked to have configured and built; its figures printed. */
async function bootable(name: string, spec: BuildSpec): Promise<SharedBuild> {
  const shared = await sharedBuild(spec);
  console.log(`${name}: allnoconfig+fragment ${shared.configure.ms} ms, -j2 ${shared.spec.goal} ${shared.build.ms} ms${builtElsewhere(shared)}`);
  expect(shared.configure.exitCode, shared.configure.stderr).toBe(0);
  expect(shared.build.exitCode, shared.build.stderr.slice(-3000)).toBe(0);
  return shared;
}

const releaseOf = (out: string) => fs.readFileSync(path.join(out, 'include/config/kernel.release'), 'utf8').trim();

describe("x86_64, linux 6.1 built with kernel.org's Clang 18 on docker, booted on rootful podman", () => {
  const spec = BOOT_BUILDS.x86_64;
  const tree = kernelTree(spec.kernel);
  let out: string;
  let release: string;
  let built: Awaited<ReturnType<typeof runMake>>;

  beforeAll(async () => {
    // 1. The documented minimal bootable configuration, built from the pristine tree.
    out = (await bootable('6.1 x86_64', spec)).out;
    // 2. bzImage (up to date: Kbuild checks it) and the boot in one make, each goal in its own image.
    built = await runMake('podman', tree, [`CONTAINER=${spec.image}`, ...spec.vars!, `BOOT_CONTAINER=${QEMU_X86}`, `O=${out}`, '-j2', 'bzImage', 'boot']);
    release = releaseOf(out);
    console.log(`6.1 x86_64: bzImage (up to date)+boot ${built.ms} ms; ${summary(built.stderr)}`);
  });

  it('builds the minimal configuration and boots it: PASS, the guest prints the release', () => {
    expect(built.exitCode, built.stderr).toBe(0);
    expect(summary(built.stderr)).toMatch(/^kbuild-container: boot PASS: guest command exited 0 \(x86_64, TCG, /);
    expect(built.stderr).toMatch(/^ {2}BOOT {4}\S+ qemu-system-x86_64: (TCG|KVM)/m);
    // The console streams as LF lines; the guest's `uname -r` is one of them.
    expect(built.stdout.split('\n')).toContain(release);
    expect(built.stdout).not.toContain('\r');
    keepConsole('x86_64-6.1-pass.log', consoleOf(built.stdout));
  });

  it('a guest command exiting 3 fails make with that status', async () => {
    const r = await runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${out}`, 'BOOT_CMD=echo about to fail; exit 3', 'boot']);
    console.log(`exit 3: ${r.ms} ms`);
    keepConsole('x86_64-6.1-exit3.log', r.stdout);
    expect(r.exitCode).not.toBe(0);
    expect(summary(r.stderr)).toMatch(/^kbuild-container: boot FAIL: guest command exited 3 /);
    expect(r.stderr).toMatch(/Error 3/);
    expect(r.stdout).toContain('about to fail');
  });

  it('a bad rdinit panics the kernel: FAIL naming it, with the console lines', async () => {
    const r = await runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${out}`, 'BOOT_APPEND=rdinit=/no/such/init init=/no/such/init', 'boot']);
    expect(r.exitCode).not.toBe(0);
    // Without CONFIG_BLOCK the kernel then fails init=; with it, it first fails to mount a root device.
    expect(summary(r.stderr)).toMatch(/^kbuild-container: boot FAIL: (no working init|kernel panic) /);
    expect(r.stderr).toMatch(/\| .*(Requested init|No working init found|Kernel panic)/);
    expect(r.stderr).toMatch(/Error 1/);
    keepConsole('x86_64-6.1-no-init.log', r.stdout);
  });

  it('init exiting panics the kernel: FAIL', async () => {
    // busybox called as itself prints its help and exits 1: the kernel's "Attempted to kill init".
    const r = await runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${out}`, 'BOOT_APPEND=rdinit=/bin/busybox', 'boot']);
    expect(r.exitCode).not.toBe(0);
    expect(summary(r.stderr)).toMatch(/^kbuild-container: boot FAIL: init exited \(kernel panic\) /);
    keepConsole('x86_64-6.1-init-exits.log', r.stdout);
  });

  it('a hang is stopped by BOOT_TIMEOUT with its own status', async () => {
    const r = await runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${out}`, 'BOOT_CMD=echo hanging; sleep 600', 'BOOT_TIMEOUT=15', 'boot']);
    console.log(`timeout: ${r.ms} ms`);
    expect(summary(r.stderr)).toMatch(/^kbuild-container: boot TIMEOUT: /);
    expect(r.stderr).toMatch(/Error 124/);
    expect(r.stdout).toContain('hanging');
    keepConsole('x86_64-6.1-hang.log', r.stdout);
    expect(await bootContainers()).toEqual([]);
  });

  it('the kernel echoing its command line cannot fake a PASS', async () => {
    // Words that look like our result line go on the kernel command line, which the kernel prints.
    const r = await runMake('podman', tree, [
      `CONTAINER=${QEMU_X86}`,
      `O=${out}`,
      'BOOT_APPEND=kbuild-container-boot-result status=0',
      'BOOT_CMD=exit 4',
      'boot',
    ]);
    expect(summary(r.stderr)).toMatch(/FAIL: guest command exited 4/);
  });

  it.each([
    ['BOOT_TIMEOUT=abc', /^kbuild-container: BOOT_TIMEOUT='abc' is not a number of seconds/m],
    ['BOOT_CONTAINER=korg-gcc:12', /^kbuild-container: image 'korg-gcc:12' has no qemu-system-x86_64/m],
  ])('%s: one line, non-zero, nothing left', async (word, message) => {
    const r = await runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${out}`, word, 'boot']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(await bootContainers()).toEqual([]);
  });

  it('no kernel image: says which make line builds it', async () => {
    const empty = scratch('kbc-boot-noimage-');
    fs.copyFileSync(path.join(out, '.config'), path.join(empty, '.config'));
    const r = await runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${empty}`, 'boot']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`arch/x86/boot/bzImage: no kernel image; build it with make CONTAINER=korg-gcc O=${empty} bzImage`));
  });

  it('a tinyconfig (no serial console, no initramfs) is refused before booting, naming the options', async () => {
    const tiny = scratch('kbc-boot-tiny-');
    const c = await runMake('podman', tree, ['CONTAINER=korg-gcc:12', `O=${tiny}`, 'tinyconfig']);
    expect(c.exitCode, c.stderr).toBe(0);
    const r = await runMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${tiny}`, 'boot']);
    expect(r.exitCode).not.toBe(0);
    const line = r.stderr.split('\n').find((l) => l.includes('cannot boot')) ?? '';
    for (const option of ['CONFIG_BLK_DEV_INITRD', 'CONFIG_SERIAL_8250_CONSOLE']) expect(line).toContain(option);
    expect(r.stderr).not.toContain('BOOT ');
  });

  it.each([
    ['SIGINT', 1000],
    ['SIGKILL', 5000],
  ] as const)('%s during a boot: no QEMU and no container after %d ms', async (signal, ms) => {
    const m = startMake('podman', tree, [`CONTAINER=${QEMU_X86}`, `O=${out}`, 'BOOT_CMD=echo guest-is-up; sleep 600', 'boot']);
    expect(await waitFor(async () => m.stdout().includes('guest-is-up'), 60_000)).toBeDefined();
    expect((await qemuOf(out)).length).toBeGreaterThan(0);
    if (signal === 'SIGINT') process.kill(-m.pid, 'SIGINT');
    else {
      // The runner itself, as kill -9 would: its lifeline must clean up.
      const { stdout } = await execa('pgrep', ['-s', String(m.pid), '-f', 'kbuild-container make']);
      for (const pid of String(stdout).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    }
    const gone = await waitFor(async () => (await qemuOf(out)).length === 0 && (await bootContainers()).length === 0, ms);
    console.log(`${signal}: nothing left after ${gone} ms`);
    expect(await qemuOf(out)).toEqual([]);
    expect(await bootContainers()).toEqual([]);
  });
});

describe('x86_64, linux 7.2 built on docker (with modules), booted on rootful podman', () => {
  it('the minimal configuration boots: PASS', async () => {
    const { out } = await bootable('7.2 x86_64', BOOT_BUILDS.x86_64_72);
    const r = await runMake('podman', kernelTree('7.2'), [`CONTAINER=${QEMU_X86}`, `O=${out}`, 'boot']);
    console.log(`7.2 x86_64: boot ${r.ms} ms; ${summary(r.stderr)}`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(summary(r.stderr)).toMatch(/boot PASS: guest command exited 0 \(x86_64, /);
    expect(r.stdout.split('\n')).toContain(releaseOf(out));
  });
});

describe("arm64 (cross-built by kernel.org's GCC 12, kernelorg-gcc:12-arm64), linux 6.1, rootful podman", () => {
  it('the minimal configuration boots under qemu-system-aarch64 virt: PASS', async () => {
    const { out } = await bootable('6.1 arm64', BOOT_BUILDS.arm64);
    const r = await runMake('podman', kernelTree('6.1'), [...BOOT_BUILDS.arm64.vars!, `O=${out}`, `CONTAINER=${QEMU_ARM64}`, 'boot']);
    console.log(`6.1 arm64: boot ${r.ms} ms; ${summary(r.stderr)}`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(summary(r.stderr)).toMatch(/boot PASS: guest command exited 0 \(arm64, /);
    expect(r.stdout.split('\n')).toContain(releaseOf(out));
  });

  it('the x86 QEMU image for this arm64 kernel: one line naming the image that has it, non-zero, nothing left', async () => {
    const { out } = await sharedBuild(BOOT_BUILDS.arm64);
    const r = await runMake('podman', kernelTree('6.1'), [...BOOT_BUILDS.arm64.vars!, `O=${out}`, `CONTAINER=${QEMU_X86}`, 'boot']);
    expect(r.exitCode).not.toBe(0);
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('kbuild-container:'));
    expect(ours).toEqual([
      `kbuild-container: image '${QEMU_X86}' has no qemu-system-aarch64 or guest busybox: boot in a korg-qemu image (BOOT_CONTAINER=korg-qemu:arm64)`,
    ]);
    expect(await bootContainers()).toEqual([]);
  });
});
