// Issue 12, the kernel.org toolchain image family, built for real with the
// Debian source under a test PREFIX (never touching the images other tests
// use): the exact BUILD/TAG lines and tag set, a no-op second run, one changed
// line rebuilding only its image, menuconfig through a real pty, the
// kernel.org source from a local mirror, and the on-demand path of
// `make CONTAINER=...` (two makes build once, CONTAINER_BUILD=never, Ctrl-C).
// Base: PREFIX debian-base:SUITE, tagged from the set-up's korg-debian-base
// (scripts/build-images.sh) or, without it, KBC_TEST_BASE_TRIXIE and
// KBC_TEST_BASE_BOOKWORM (+ DEBIAN_MIRROR).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QUICK_CONFIG, kernelTree, processesMentioning, removeScratch, REPO, runMake, scratchDir, startMake, stopRunningMakes, waitFor } from './support.js';

const PREFIX = 'kbce2e-';
const IMAGES = path.join(REPO, 'images');
const STATE = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-e2e-images-state-'));
const ENV = {
  STATE_DIR: STATE,
  CONTAINER_IMAGES_PREFIX: PREFIX,
  XDG_CACHE_HOME: STATE,
  ...(process.env.DEBIAN_MIRROR ? { DEBIAN_MIRROR: process.env.DEBIAN_MIRROR } : {}),
};
const figures: string[] = [];
/**
 * The stand-in kernel.org mirror the set-up makes (scripts/build-images.sh,
 * scripts/make-korg-mirror.sh: Debian's GCC 12 and Clang 18 as kernel.org's
 * tarballs), for the kernel.org tests and the on-demand ones after them.
 */
const MIRROR = process.env.KBC_KORG_MIRROR ?? '/var/cache/kbuild-container/korg-mirror';
/** The set-up's images from that mirror (PREFIX kernelorg-): matrix.test.ts builds a 7.2 kernel through each. */
const SETUP_KORG_PREFIX = 'kernelorg-';
/** The Debian suites of the bases (PREFIX debian-base:SUITE): trixie's lines, and bookworm's GCC 12 (the mirror's GCC). */
const SUITES = ['trixie', 'bookworm'];

async function podman(...args: string[]) {
  return execa('podman', args, { reject: false });
}
async function familyTags(): Promise<string[]> {
  const r = await podman('images', '--format', '{{.Repository}}:{{.Tag}}');
  return r.stdout
    .split('\n')
    .map((l) => l.replace(/^localhost\//, ''))
    .filter((l) => l.startsWith(PREFIX) && !l.startsWith(`${PREFIX}debian-base`))
    .sort();
}
async function family(args: string[], dir = IMAGES) {
  const start = Date.now();
  const r = await execa('make', ['-C', dir, '--no-print-directory', `PREFIX=${PREFIX}`, 'SOURCE=debian', 'CONTAINER_RUNTIME=podman', ...args], {
    reject: false,
    env: ENV,
    all: true,
  });
  return {
    ...r,
    lines: String(r.all ?? '')
      .split('\n')
      .filter((l) => /^ {2}[A-Z]+ +/.test(l)),
    ms: Date.now() - start,
  };
}
async function removeFamilyImages(): Promise<void> {
  const tags = await familyTags();
  if (tags.length > 0) await podman('rmi', '--force', ...tags);
}

beforeAll(async () => {
  await removeFamilyImages();
  for (const suite of SUITES) {
    const set = `korg-debian-base:${suite}`;
    const from = (await podman('image', 'exists', set)).exitCode === 0 ? set : process.env[`KBC_TEST_BASE_${suite.toUpperCase()}`];
    if (!from) throw new Error(`no ${set} (run scripts/build-images.sh) and no KBC_TEST_BASE_${suite.toUpperCase()}`);
    await execa('podman', ['tag', from, `${PREFIX}debian-base:${suite}`]);
  }
});

afterEach(stopRunningMakes);

afterAll(async () => {
  await removeFamilyImages();
  for (const suite of SUITES) await podman('rmi', `${PREFIX}debian-base:${suite}`);
  removeScratch(STATE);
  if (figures.length > 0) console.log(['images.test.ts figures:', ...figures].join('\n  '));
});

describe('make -C images (Debian source)', () => {
  it('builds the default set with the exact BUILD/TAG lines and tags, labelled with source and version', async () => {
    const r = await family([]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.lines).toEqual([
      `  BUILD   ${PREFIX}toolchain-base`,
      `  BUILD   ${PREFIX}gcc:14.2-x86-x86`,
      `  TAG     ${PREFIX}gcc:14`,
      `  TAG     ${PREFIX}gcc`,
      `  BUILD   ${PREFIX}gcc:14.2-x86-arm64`,
      `  TAG     ${PREFIX}gcc:14-arm64`,
      `  TAG     ${PREFIX}gcc:arm64`,
      `  BUILD   ${PREFIX}clang:18.1.8-x86`,
      `  TAG     ${PREFIX}clang:18`,
      `  TAG     ${PREFIX}clang`,
    ]);
    expect(await familyTags()).toEqual(
      [
        'clang:latest',
        'clang:18',
        'clang:18.1.8-x86',
        'gcc:latest',
        'gcc:14',
        'gcc:14-arm64',
        'gcc:14.2-x86-arm64',
        'gcc:14.2-x86-x86',
        'gcc:arm64',
        'toolchain-base:latest',
      ]
        .map((t) => PREFIX + t)
        .sort(),
    );
    const labels = JSON.parse((await podman('image', 'inspect', '--format', '{{json .Config.Labels}}', `${PREFIX}gcc:14-arm64`)).stdout) as Record<
      string,
      string
    >;
    expect(labels).toMatchObject({
      'org.kernel.toolchain.source': 'debian',
      'org.kernel.toolchain.version': '14.2.0',
      'org.kernel.toolchain.target': 'arm64',
      'org.opencontainers.image.version': '14.2.0',
    });
    figures.push(`default set from nothing (base + 3 compilers): ${(r.ms / 1000).toFixed(0)} s`);
    for (const t of ['toolchain-base', 'gcc:14.2-x86-x86', 'gcc:14.2-x86-arm64', 'clang:18.1.8-x86'])
      figures.push(`${t}: ${(await podman('image', 'inspect', '--format', '{{.Size}}', PREFIX + t)).stdout.trim()} bytes`);
  });

  it('a second run builds nothing', async () => {
    const r = await family([]);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.lines).toEqual([]);
    figures.push(`no-op second run: ${r.ms} ms`);
  });

  it('one changed line rebuilds that image only', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-e2e-images-copy-'));
    try {
      fs.cpSync(IMAGES, copy, { recursive: true, preserveTimestamps: true });
      const conf = path.join(copy, 'family.conf');
      // The same packages in another order: a different recipe, the same compiler.
      fs.writeFileSync(
        conf,
        fs
          .readFileSync(conf, 'utf8')
          .replace('clang-18,lld-18,llvm-18,clangd-18  llvm/files/llvm-18.1.8-x86_64', 'lld-18,clang-18,llvm-18,clangd-18  llvm/files/llvm-18.1.8-x86_64'),
      );
      const r = await family([], copy);
      expect(r.exitCode, r.all).toBe(0);
      expect(r.lines).toEqual([`  BUILD   ${PREFIX}clang:18.1.8-x86`, `  TAG     ${PREFIX}clang:18`, `  TAG     ${PREFIX}clang`]);
      const again = await family([], IMAGES);
      expect(again.lines).toEqual([`  BUILD   ${PREFIX}clang:18.1.8-x86`, `  TAG     ${PREFIX}clang:18`, `  TAG     ${PREFIX}clang`]);
    } finally {
      removeScratch(copy);
    }
  });

  it.each([
    ['unknown image', ['IMAGES=gcc:99'], /unknown image 'gcc:99'/],
    ['bad PREFIX', ['PREFIX=Bad/'], /PREFIX 'Bad\/' is not a valid image reference prefix/],
    ['bad SOURCE', ['SOURCE=gentoo'], /SOURCE 'gentoo' is not debian, kernel.org or auto/],
  ])('%s: one line, non-zero, store untouched', async (_what, args, message) => {
    const before = await familyTags();
    const r = await family(args);
    expect(r.exitCode).not.toBe(0);
    expect(String(r.all).trim().split('\n')).toHaveLength(1);
    expect(r.all).toMatch(message);
    expect(await familyTags()).toEqual(before);
  });
});

describe('interactive goals in a family image', () => {
  // How each front end is left: menuconfig (lxdialog) on Esc Esc, nconfig on F9; both then ask to save, Enter says yes;
  // nconfig then says "configuration written to .config" until Enter again.
  const FRONT_ENDS = [
    { goal: 'menuconfig', leave: ['Escape', 'Escape'], written: undefined },
    { goal: 'nconfig', leave: ['F9'], written: /configuration written to \.config/ },
  ];
  it.each(FRONT_ENDS)('$goal (ncurses) draws through a real pty, a keystroke changes an option, the saved .config has it', async ({ goal, leave, written }) => {
    const out = scratchDir('podman');
    const session = `kbc-e2e-images-${goal}-${process.pid}`;
    try {
      expect((await runMake('podman', kernelTree('6.1'), [`CONTAINER=${PREFIX}gcc`, `O=${out}`, QUICK_CONFIG], { env: ENV })).exitCode).toBe(0);
      expect(fs.readFileSync(path.join(out, '.config'), 'utf8')).toMatch(/^# CONFIG_64BIT is not set$/m);
      const cmd = `cd ${kernelTree('6.1')} && PATH=${path.join(os.tmpdir(), 'kbc-e2e-bin')}:$PATH STATE_DIR=${STATE} make -f ${path.join(REPO, 'make', 'Makefile.container')} CONTAINER_RUNTIME=podman CONTAINER=${PREFIX}gcc O=${out} ${goal}; echo EXIT=$? > ${out}/exit`;
      await execa('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', cmd]);
      const screen = async () => (await execa('tmux', ['capture-pane', '-p', '-t', session], { reject: false })).stdout;
      expect(await waitFor(async () => (await screen()).includes('64-bit kernel'), 120_000), await screen()).toBeDefined();
      // "64-bit kernel" is the second entry, under "General setup": Down, then 'y' selects it; `leave`, then Enter to save.
      await execa('tmux', ['send-keys', '-t', session, 'Down']);
      await new Promise((r) => setTimeout(r, 500));
      await execa('tmux', ['send-keys', '-t', session, 'y']);
      expect(await waitFor(async () => (await screen()).includes('[*] 64-bit kernel'), 30_000), await screen()).toBeDefined();
      for (const key of leave) {
        await execa('tmux', ['send-keys', '-t', session, key]);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(await waitFor(async () => /save your new configuration/i.test(await screen()), 30_000), await screen()).toBeDefined();
      await execa('tmux', ['send-keys', '-t', session, 'Enter']);
      if (written) {
        expect(await waitFor(async () => written.test(await screen()), 30_000), await screen()).toBeDefined();
        await execa('tmux', ['send-keys', '-t', session, 'Enter']);
      }
      expect(await waitFor(async () => fs.existsSync(path.join(out, 'exit')), 60_000), await screen()).toBeDefined();
      expect(fs.readFileSync(path.join(out, 'exit'), 'utf8')).toBe('EXIT=0\n');
      expect(fs.readFileSync(path.join(out, '.config'), 'utf8')).toMatch(/^CONFIG_64BIT=y$/m);
    } finally {
      await execa('tmux', ['kill-session', '-t', session], { reject: false });
      removeScratch(out);
    }
  });
});

// A kernel through each test image of the family (Debian source: gcc 12 x86_64,
// gcc 12 arm64 cross, clang 18 with LLVM=1; kernel.org source from the
// set-up's mirror: kernelorg-clang:18, kernelorg-gcc:12-arm64; all built by
// images/ through scripts/build-images.sh) is matrix.test.ts's job: its cells
// build them once. The kernel.org x86_64 GCC's kernel is the on-demand test's.
describe("the kernel.org source, from a local mirror made of Debian's GCC 12 and Clang 18 (scripts/make-korg-mirror.sh)", () => {
  const mirror = MIRROR;
  const KPREFIX = 'kbce2ek-';
  /** make -C images with the kernel.org source: its result, its step lines (FETCH, BUILD, TAG, ...) and wall time. */
  const korg = async (prefix: string, state: string, args: string[]) => {
    const start = Date.now();
    const r = await execa('make', ['-C', IMAGES, '--no-print-directory', `PREFIX=${prefix}`, 'SOURCE=kernel.org', 'CONTAINER_RUNTIME=podman', ...args], {
      reject: false,
      env: { ...ENV, STATE_DIR: state },
      all: true,
    });
    return {
      ...r,
      lines: String(r.all ?? '')
        .split('\n')
        .filter((l) => /^ {2}[A-Z]/.test(l)),
      ms: Date.now() - start,
    };
  };
  const tagsOf = async (prefix: string) =>
    (await podman('images', '--format', '{{.Repository}}:{{.Tag}}')).stdout
      .split('\n')
      .map((l) => l.replace(/^localhost\//, ''))
      .filter((l) => l.startsWith(prefix) && !l.includes('debian-base'));
  let server: ReturnType<typeof execa> | undefined;

  /** The labels that say where an image's toolchain came from. */
  const provenance = async (image: string) => {
    const all = JSON.parse((await podman('image', 'inspect', '--format', '{{json .Config.Labels}}', image)).stdout) as Record<string, string>;
    const keys = ['org.kernel.toolchain.source', 'org.kernel.toolchain.tarball', 'org.kernel.toolchain.version', 'org.kernel.toolchain.target'];
    return Object.fromEntries(keys.map((k) => [k, all[k]]));
  };

  beforeAll(async () => {
    if (!fs.existsSync(path.join(mirror, 'llvm/files/sha256sums.asc'))) throw new Error(`no kernel.org mirror in ${mirror} (run scripts/build-images.sh all)`);
    // The mirror's GCC (12.2.0) is bookworm's line; its LLVM trixie's.
    for (const p of [KPREFIX, 'kbce2ekbad-'])
      for (const suite of SUITES) await execa('podman', ['tag', `${PREFIX}debian-base:${suite}`, `${p}debian-base:${suite}`]);
  });
  afterAll(async () => {
    server?.kill();
    for (const p of [KPREFIX, 'kbce2ekbad-']) {
      const tags = await tagsOf(p);
      if (tags.length > 0) await podman('rmi', '--force', ...tags);
      for (const suite of SUITES) await podman('rmi', `${p}debian-base:${suite}`);
    }
  });

  // Its kernel: the on-demand test below builds this image from this mirror, then a bzImage through it.
  it('a directory mirror: fetched, checked, built, labelled', async () => {
    const r = await korg(KPREFIX, path.join(STATE, 'k-dir'), [`KORG_MIRROR=${mirror}`, 'IMAGES=gcc:12']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.lines).toEqual([
      '  FETCH   crosstool/files/bin/x86_64/12.2.0/x86_64-gcc-12.2.0-nolibc-x86_64-linux.tar.xz',
      `  BUILD   ${KPREFIX}toolchain-base:bookworm`,
      `  BUILD   ${KPREFIX}gcc:12.2-x86-x86`,
      `  TAG     ${KPREFIX}gcc:12`,
    ]);
    const labels = JSON.parse((await podman('image', 'inspect', '--format', '{{json .Config.Labels}}', `${KPREFIX}gcc:12`)).stdout) as Record<string, string>;
    expect(labels).toMatchObject({
      'org.kernel.toolchain.source': 'kernel.org',
      'org.kernel.toolchain.tarball': 'crosstool/files/bin/x86_64/12.2.0/x86_64-gcc-12.2.0-nolibc-x86_64-linux.tar.xz',
    });
  });

  it("the same mirror over http on 127.0.0.1: the arm64 image, its compiler runs, labelled as the set-up's kernelorg-gcc:12-arm64 (the arm64 kernel boot.test.ts boots)", async () => {
    server = execa('python3', ['-u', '-m', 'http.server', '--bind', '127.0.0.1', '0', '--directory', mirror], { reject: false, all: true, buffer: false });
    let port = '';
    server.all?.on('data', (d: Buffer) => (port ||= /port (\d+)/.exec(d.toString())?.[1] ?? ''));
    expect(await waitFor(async () => port !== '', 20_000)).toBeDefined();
    const r = await korg(KPREFIX, path.join(STATE, 'k-http'), [`KORG_MIRROR=http://127.0.0.1:${port}`, 'IMAGES=gcc:12-arm64']);
    server.kill();
    expect(r.exitCode, r.all).toBe(0);
    expect(r.all).toMatch(/^ {2}FETCH {3}crosstool\/files\/bin\/x86_64\/12.2.0\/x86_64-gcc-12.2.0-nolibc-aarch64-linux.tar.xz$/m);
    expect(r.all).toMatch(new RegExp(`^  BUILD   ${KPREFIX}gcc:12.2-x86-arm64$`, 'm'));
    // The relocated compiler runs in the image, under kernel.org's name.
    const cc = await podman(
      'run',
      '--rm',
      '--network=none',
      `${KPREFIX}gcc:12-arm64`,
      'sh',
      '-c',
      'echo "int f(void) { return 0; }" | ${CROSS_COMPILE}gcc -x c -c -o /tmp/f.o - && ${CROSS_COMPILE}objdump -f /tmp/f.o',
    );
    expect(cc.exitCode, cc.stderr).toBe(0);
    expect(cc.stdout).toMatch(/file format elf64-littleaarch64/);
    // Its kernel: the linux 6.1 arm64 kernel boot.test.ts boots (shared-builds.ts's BOOT_BUILDS.arm64), through the set-up's image from the same mirror.
    const mine = await provenance(`${KPREFIX}gcc:12-arm64`);
    expect(mine).toEqual({
      'org.kernel.toolchain.source': 'kernel.org',
      'org.kernel.toolchain.tarball': 'crosstool/files/bin/x86_64/12.2.0/x86_64-gcc-12.2.0-nolibc-aarch64-linux.tar.xz',
      'org.kernel.toolchain.version': '12.2.0',
      'org.kernel.toolchain.target': 'arm64',
    });
    expect(await provenance(`${SETUP_KORG_PREFIX}gcc:12-arm64`)).toEqual(mine);
  });

  // Debian's clang-18 reports 18.1.8, the family line's version: the tarball is named for what it holds.
  it("the LLVM tarball from the directory mirror: the clang image, only the tarball's LLVM in it, labelled as the set-up's kernelorg-clang:18 (the x86_64 kernel boot.test.ts boots)", async () => {
    const tarball = 'llvm/files/llvm-18.1.8-x86_64.tar.xz';
    figures.push(`${tarball}: ${fs.statSync(path.join(mirror, tarball)).size} bytes`);
    const r = await korg(KPREFIX, path.join(STATE, 'k-llvm'), [`KORG_MIRROR=${mirror}`, 'IMAGES=clang']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.lines).toEqual([
      `  FETCH   ${tarball}`,
      `  BUILD   ${KPREFIX}toolchain-base`,
      `  BUILD   ${KPREFIX}clang:18.1.8-x86`,
      `  TAG     ${KPREFIX}clang:18`,
      `  TAG     ${KPREFIX}clang`,
    ]);
    const labels = JSON.parse((await podman('image', 'inspect', '--format', '{{json .Config.Labels}}', `${KPREFIX}clang`)).stdout) as Record<string, string>;
    expect(labels).toMatchObject({
      'org.kernel.toolchain.source': 'kernel.org',
      'org.kernel.toolchain.tarball': tarball,
      'org.kernel.toolchain.version': '18.1.8',
    });
    // The image's only clang and lld are the tarball's (toolchain-base has no Debian LLVM), its headers its own.
    const inside = await podman(
      'run',
      '--rm',
      '--network=none',
      `${KPREFIX}clang`,
      'sh',
      '-c',
      'readlink -f "$(command -v clang)" "$(command -v ld.lld)"; clang -print-resource-dir; ls -d /usr/lib/llvm-* 2>/dev/null; true',
    );
    expect(inside.stdout.split('\n')).toEqual(['/opt/llvm-18.1.8-x86_64/bin/clang', '/opt/llvm-18.1.8-x86_64/bin/lld', '/opt/llvm-18.1.8-x86_64/lib/clang/18']);
    figures.push(`${KPREFIX}clang from the mirror (FETCH + base + image): ${(r.ms / 1000).toFixed(0)} s`);
    // Its kernel (LLVM=1): the linux 6.1 x86_64 kernel boot.test.ts boots (shared-builds.ts's BOOT_BUILDS.x86_64), through the set-up's image from the same mirror.
    const mine = await provenance(`${KPREFIX}clang`);
    expect(mine['org.kernel.toolchain.source']).toBe('kernel.org');
    expect(await provenance(`${SETUP_KORG_PREFIX}clang:18`)).toEqual(mine);
  });

  it('a tarball altered by one byte is refused: one line naming it, nothing built or tagged', async () => {
    const bad = path.join(STATE, 'mirror-bad');
    fs.cpSync(mirror, bad, { recursive: true });
    const file = path.join(bad, 'crosstool/files/bin/x86_64/12.2.0/x86_64-gcc-12.2.0-nolibc-x86_64-linux.tar.xz');
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    fs.writeFileSync(file, bytes);
    const r = await korg('kbce2ekbad-', path.join(STATE, 'k-bad'), [`KORG_MIRROR=${bad}`, 'IMAGES=gcc:12']);
    expect(r.exitCode).not.toBe(0);
    expect(r.lines.filter((l) => /^ {2}(FAIL|BUILD|TAG)/.test(l))).toEqual([
      '  FAIL    checksum mismatch: x86_64-gcc-12.2.0-nolibc-x86_64-linux.tar.xz (not in or not matching sha256sums.asc)',
    ]);
    expect(await tagsOf('kbce2ekbad-')).toEqual([]);
    expect(fs.existsSync(path.join(STATE, 'k-bad', 'korg', 'crosstool/files/bin/x86_64/12.2.0/x86_64-gcc-12.2.0-nolibc-x86_64-linux.tar.xz'))).toBe(false);
  });
});

describe('on demand: make CONTAINER=<family name> when the store lacks it', () => {
  // The mirror's x86_64 GCC, 12.2.0 (bookworm's line in family.conf).
  const image = `${PREFIX}gcc:12`;
  const removeGcc = async () => {
    await podman('rmi', '--force', `${PREFIX}gcc:12.2-x86-x86`, `${PREFIX}gcc:12`);
    expect((await podman('image', 'exists', image)).exitCode).toBe(1);
  };

  it('CONTAINER_BUILD=never: the one-line not-found error with the command that would build it', async () => {
    await removeGcc();
    const out = scratchDir('podman');
    try {
      const r = await runMake('podman', kernelTree('6.1'), [`CONTAINER=${image}`, `O=${out}`, 'CONTAINER_BUILD=never', 'tinyconfig'], { env: ENV });
      expect(r.exitCode).not.toBe(0);
      const mine = r.stderr.split('\n').filter((l) => l.startsWith('kbuild-container'));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatch(
        new RegExp(
          `image '${image}' not found in podman's local store; CONTAINER_BUILD=never, so not built \\(make -C \\S+/images PREFIX=${PREFIX} IMAGES=gcc:12 CONTAINER_RUNTIME=podman would\\)`,
        ),
      );
      expect(await familyTags()).not.toContain(image);
    } finally {
      removeScratch(out);
    }
  });

  // From the kernel.org directory mirror above (the source an on-demand build
  // takes where KORG_MIRROR exists): one kernel build serves both claims.
  it('two makes at once: the image is built once (kernel.org source, from the directory mirror), then both kernels', async () => {
    await removeGcc();
    const outs = [scratchDir('podman'), scratchDir('podman')];
    const env = { ...ENV, KORG_MIRROR: MIRROR };
    try {
      // One builds a bzImage, the other only configures (one kernel build is enough for CI).
      const runs = [
        startMake('podman', kernelTree('6.1'), [`CONTAINER=${image}`, `O=${outs[0]}`, '-j2', 'tinyconfig', 'bzImage'], { env }),
        startMake('podman', kernelTree('6.1'), [`CONTAINER=${image}`, `O=${outs[1]}`, QUICK_CONFIG], { env }),
      ];
      const results = await Promise.all(runs.map((r) => r.result));
      for (const r of results) expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
      const lines = results.flatMap((r) => r.stderr.split('\n'));
      // Its bookworm base too: the Debian-source images above are trixie's.
      expect(lines.filter((l) => l.startsWith('  BUILD   '))).toEqual([`  BUILD   ${PREFIX}toolchain-base:bookworm`, `  BUILD   ${PREFIX}gcc:12.2-x86-x86`]);
      expect(lines).toContain(`  SOURCE  kernel.org (${MIRROR}): gcc 12.2.0 for x86_64, ${PREFIX}gcc:12.2-x86-x86`);
      expect(fs.existsSync(path.join(outs[0]!, 'arch/x86/boot/bzImage'))).toBe(true);
      // Built by the relocated x86_64-linux-gcc of the kernel.org tarball, not a Debian gcc.
      for (const o of outs) expect(fs.readFileSync(path.join(o, '.config'), 'utf8')).toMatch(/^CONFIG_CC_VERSION_TEXT="x86_64-linux-gcc .*12\.2\.0"$/m);
      figures.push(`on demand: image + tinyconfig bzImage (two makes at once): ${(Math.max(...results.map((r) => r.ms)) / 1000).toFixed(0)} s`);
    } finally {
      outs.forEach(removeScratch);
    }
  });

  // A base of its own (one extra layer), so the family's first step misses the
  // cache and is still running its apt-get when Ctrl-C comes.
  it('Ctrl-C during the build: make stops; no working container, no tag, no held lock the moment it has exited', async () => {
    const IPREFIX = 'kbce2eint-';
    const ctx = fs.mkdtempSync(path.join(STATE, 'int-base-'));
    fs.writeFileSync(path.join(ctx, 'Containerfile'), `FROM localhost/${PREFIX}debian-base:trixie\nRUN echo ${Date.now()} >/etc/kbce2eint\n`);
    await execa('podman', ['build', '-q', '--network=none', '-t', `${IPREFIX}debian-base:trixie`, ctx]);
    const workingContainers = async () =>
      (await podman('ps', '-a', '--external', '--format', '{{.ID}} {{.Names}}')).stdout.split('\n').filter((l) => l.includes('-working-container'));
    const before = await workingContainers();
    const out = scratchDir('podman');
    try {
      const m = startMake('podman', kernelTree('6.1'), [`CONTAINER=${IPREFIX}gcc:14`, `O=${out}`, 'tinyconfig'], {
        env: { ...ENV, CONTAINER_IMAGES_PREFIX: IPREFIX, CONTAINER_IMAGES_SOURCE: 'debian' },
      });
      expect(await waitFor(async () => m.stderr().includes(`  BUILD   ${IPREFIX}toolchain-base`), 60_000)).toBeDefined();
      await new Promise((r) => setTimeout(r, 8000)); // into the RUN step
      const sent = Date.now();
      process.kill(-m.pid, 'SIGINT');
      const r = await m.result;
      // Everything below is read the moment make has exited, not later.
      const after = await workingContainers();
      figures.push(`on demand: Ctrl-C during the image build, make gone after ${Date.now() - sent} ms`);
      expect(r.exitCode === 0 && r.signal === undefined, r.stderr).toBe(false);
      expect(r.stderr).toMatch(new RegExp(`^kbuild-container: image build of ${IPREFIX}gcc:14 interrupted \\(SIGINT\\)$`, 'm'));
      expect(after.filter((c) => !before.includes(c))).toEqual([]);
      const tags = (await podman('images', '--format', '{{.Repository}}:{{.Tag}}')).stdout.split('\n').filter((t) => t.includes(IPREFIX));
      expect(tags.map((t) => t.replace(/^localhost\//, ''))).toEqual([`${IPREFIX}debian-base:trixie`]);
      expect(processesMentioning(`${IPREFIX}toolchain-base`)).toEqual([]);
      const lock = path.join(STATE, 'kbuild-container', 'images-podman.lock');
      expect((await execa('flock', ['-n', lock, 'true'], { reject: false })).exitCode).toBe(0);
    } finally {
      removeScratch(out);
      await podman('rmi', '--force', `${IPREFIX}debian-base:trixie`);
    }
  });
});
