// Issue 15, KUnit: `kbuild-container exec korg-gcc:kunit -- tools/testing/kunit/kunit.py run`
// on a throw-away copy (hard links) of the 6.12 tree, rootless Podman (the caller is
// not root, so ownership means something): real suites built for User-Mode Linux
// and run in the container, the results shown, --build_dir outside the tree
// mounted read-write and owned by the caller; a suite made to fail fails the
// command; a --build_dir that is a file, and kunit.py in an image without Python,
// are one line each. One UML build (then one incremental rebuild) for the file.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asUser,
  callerIds,
  filesNotOwnedBy,
  kernelTree,
  linkedTree,
  ourContainers,
  removeScratch,
  replaceFile,
  runnerBinDir,
  runtimeOf,
  scratchDir,
  type EngineKind,
} from './support.js';

// The family's images (scripts/build-images.sh builds them); the variables let a run use other copies.
const KUNIT = process.env.KBC_KUNIT_IMAGE ?? 'korg-gcc:kunit';
// The one family image without Python (QEMU and busybox on Debian's base).
const NO_PYTHON = process.env.KBC_BOOT_QEMU_X86 ?? 'korg-qemu:x86';
const ENGINE: EngineKind = 'rootless';
const KUNIT_PY = 'tools/testing/kunit/kunit.py';
// The first expectation of example_simple_test in lib/kunit/kunit-example-test.c.
const EXPECTATION = 'KUNIT_EXPECT_EQ(test, 1 + 1, 2);';

let tree = '';
let scratch = '';
let out = '';
afterAll(() => {
  if (tree) removeScratch(path.dirname(tree));
  if (scratch) removeScratch(scratch);
});

/** `kbuild-container exec WORDS` in the copy of the tree, as the engine's user, to the end. */
async function exec(words: string[], more: Record<string, string> = {}) {
  const [file, ...rest] = asUser(ENGINE, ['kbuild-container', 'exec', ...words]);
  const start = Date.now();
  const r = await execa(file, rest, {
    cwd: tree,
    reject: false,
    stripFinalNewline: false,
    stdin: 'ignore',
    env: { PATH: `${runnerBinDir()}:${process.env.PATH}`, CONTAINER_RUNTIME: runtimeOf(ENGINE), ...more },
  });
  const ms = Date.now() - start;
  console.log(`${ENGINE}: exec ${words.join(' ')}: ${ms} ms`);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), ms };
}

// UML's defaults and kunit.py's arch_uml.config build PCI over virtio, the
// block layer, input and HID drivers, io_uring: 288 options =y, none of them
// used by lib/kunit's suites. kunit.py's own --kconfig_add turns them off
// (215 =y), as a developer does to iterate faster; kunit.py still checks that
// the .config it gets has every option it asked for.
const LEAN = ['CONFIG_VIRTIO_UML=n', 'CONFIG_UML_PCI_OVER_VIRTIO=n', 'CONFIG_EXPERT=y', 'CONFIG_BLOCK=n', 'CONFIG_INPUT=n', 'CONFIG_IO_URING=n'].flatMap(
  (o) => ['--kconfig_add', o],
);
const run = (buildDir: string) => exec([KUNIT, '--', KUNIT_PY, 'run', '--kunitconfig=lib/kunit', ...LEAN, `--build_dir=${buildDir}`]);

describe('KUnit: kunit.py run in korg-gcc:kunit through exec (linux 6.12, UML, rootless Podman)', () => {
  beforeAll(async () => {
    const start = Date.now();
    // Root's, read-only to the rootless user: kunit.py must write nowhere but --build_dir.
    tree = await linkedTree(kernelTree('6.12'), 'kbc-kunit-tree-');
    console.log(`6.12 tree copied (hard links): ${Date.now() - start} ms`);
    scratch = scratchDir(ENGINE, 'kbc-kunit-');
    // Not there yet: exec creates it, as the caller.
    out = path.join(scratch, 'build');
  });

  it("lib/kunit: built and run, every test passed, exit 0; the build directory outside the tree is the caller's", async () => {
    const r = await run(out);
    expect(r.exitCode, r.stdout.slice(-3000) + r.stderr.slice(-3000)).toBe(0);
    // "Testing complete. Ran 74 tests: passed: 68, skipped: 6": every test passed or skipped, none failed.
    const summary = /Testing complete\. Ran (\d+) tests: passed: (\d+)(?:, skipped: (\d+))?$/m.exec(r.stdout);
    expect(summary, r.stdout.slice(-3000)).not.toBeNull();
    const [ran, passed, skipped] = [1, 2, 3].map((i) => Number(summary![i] ?? 0));
    expect(ran).toBeGreaterThan(10);
    expect(passed + skipped).toBe(ran);
    expect(r.stdout).toMatch(/\[PASSED\] example_simple_test$/m);
    expect(r.stdout).toMatch(/^\[[\d:]+\] =+ \[PASSED\] example =+$/m);
    expect(fs.existsSync(path.join(out, 'linux'))).toBe(true);
    const { uid, gid } = callerIds(ENGINE);
    expect(fs.statSync(out).uid).toBe(uid);
    expect(await filesNotOwnedBy(out, uid, gid)).toEqual([]);
    console.log(`kunit.py run --kunitconfig=lib/kunit (UML build and run): ${r.ms} ms; ${summary![0]}`);
  });

  it('a failing test (one KUNIT_FAIL added): rebuilt in the same build directory, the failure shown, non-zero', async () => {
    const file = path.join(tree, 'lib/kunit/kunit-example-test.c');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain(EXPECTATION);
    replaceFile(file, text.replace(EXPECTATION, `${EXPECTATION}\n\tKUNIT_FAIL(test, "kbuild-container deliberate failure");`));
    const r = await run(out);
    expect(r.exitCode, r.stdout.slice(-3000) + r.stderr.slice(-3000)).not.toBe(0);
    expect(r.stdout).toMatch(/kbuild-container deliberate failure/);
    expect(r.stdout).toMatch(/\[FAILED\] example_simple_test$/m);
    expect(r.stdout).toMatch(/^\[[\d:]+\] Testing complete\. Ran \d+ tests: passed: \d+, failed: 1/m);
    console.log(`kunit.py run after one edit (incremental rebuild and run): ${r.ms} ms`);
  });

  it('--build_dir naming a file: one line naming it, non-zero, no container', async () => {
    const file = path.join(scratch, 'a-file');
    fs.writeFileSync(file, '');
    const r = await exec([KUNIT, '--', KUNIT_PY, 'run', '--build_dir', file]);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([2, '', `kbuild-container: exec: --build_dir=${file}: ${file} exists and is not a directory\n`]);
    expect(await ourContainers(ENGINE)).toEqual([]);
  });

  it('kunit.py in an image without Python: one line naming python3 and the image, status 127', async () => {
    const r = await exec([NO_PYTHON, '--', KUNIT_PY, 'run', `--build_dir=${out}`]);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([127, '', `kbuild-container: exec: '${KUNIT_PY}' needs 'python3', not found in image '${NO_PYTHON}'\n`]);
  });

  it('no --build_dir with the tree read-only (KBUILD_OUTPUT elsewhere): .kunit mounted read-write and written; any other write refused, naming the path', async () => {
    // The copy's top directory is a new inode (cp -al links files only): the caller may create .kunit in it.
    const { uid, gid } = callerIds(ENGINE);
    fs.chownSync(tree, uid, gid);
    const elsewhere = { KBUILD_OUTPUT: path.join(scratch, 'ko') };
    const r = await exec([KUNIT, '--', KUNIT_PY, 'config', '--kunitconfig=lib/kunit'], elsewhere);
    expect(r.exitCode, r.stdout.slice(-3000) + r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(/make ARCH=um O=\.kunit olddefconfig/);
    expect(fs.readFileSync(path.join(tree, '.kunit', '.config'), 'utf8')).toMatch(/^CONFIG_KUNIT_EXAMPLE_TEST=y$/m);
    expect(await filesNotOwnedBy(path.join(tree, '.kunit'), uid, gid)).toEqual([]);
    const denied = await exec([KUNIT, '--', 'touch', 'kbc-written'], elsewhere);
    expect([denied.exitCode, denied.stderr]).toEqual([1, "touch: cannot touch 'kbc-written': Read-only file system\n"]);
    expect(fs.existsSync(path.join(tree, 'kbc-written'))).toBe(false);
  });
});
