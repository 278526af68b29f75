// The RFC series in patches/, for real: `git am` onto a git repository of
// Debian's linux-source-7.2 tree (an overlay over the tree's own path for this
// file's run, so the pristine tree is never written), checkpatch, native
// builds before and after it, and `make CONTAINER=korg-gcc:12 bzImage modules`
// through it with no -f, on rootful Podman. Then whether it also applies to
// 6.12, reported.
//
// The native build is the shared 7.2 build (boot.test.ts boots it) under an
// overlay of its own O= path, so it is untouched when the file ends. Kbuild's
// command lines name the tree's path and O='s (objtool's build: a copy
// elsewhere rebuilds everything), the same here, and korg-gcc:12 is the
// host's GCC: the native make rebuilds only what the module option, the git
// tree's version suffix and the fixed build date change, instead of a whole
// kernel (about 250 s of a 2-core run).
//
// The repository holds only the files the series touches (a real git am on
// the real files): `git add` of the whole 1.5 GB tree takes 80 s here.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_BUILDS, sharedBuild } from './shared-builds.js';
import { REPO, banner, containersMounting, kernelTree, mountOverlay, runMake, scratchDir, systemPathWithout, type Overlay } from './support.js';

const PATCH_DIR = path.join(REPO, 'patches');
const SERIES = fs
  .readdirSync(PATCH_DIR)
  .filter((f) => /^\d{4}-.*\.patch$/.test(f) && !f.startsWith('0000-'))
  .sort()
  .map((f) => path.join(PATCH_DIR, f));
const IDENTITY = { GIT_AUTHOR_NAME: 'e2e', GIT_AUTHOR_EMAIL: 'e2e@example.invalid', GIT_COMMITTER_NAME: 'e2e', GIT_COMMITTER_EMAIL: 'e2e@example.invalid' };

/** Files the series changes that exist before it: the base commit holds exactly these. */
function touchedFiles(): string[] {
  const files = new Set<string>();
  for (const patch of SERIES) {
    for (const m of fs.readFileSync(patch, 'utf8').matchAll(/^diff --git a\/(\S+) b\/\1\n(?!new file mode)/gm)) files.add(m[1]);
  }
  return [...files].sort();
}

async function git(cwd: string, args: string[], reject = true) {
  return execa('git', args, { cwd, reject, env: IDENTITY });
}

/** Turn a tree into a git repository whose one commit holds the touched files (Debian's .gitignore ignores the top level: -f). */
async function gitBase(dir: string, files: string[]): Promise<void> {
  await git(dir, ['init', '-q', '.']);
  await git(dir, ['add', '-f', '--', ...files]);
  await git(dir, ['commit', '-q', '-m', 'base']);
}

// A module, so that `modules` builds something: DUMMY_IRQ, a tristate that depends on nothing.
const MODULE_CONFIG = ['-e', 'MODULES', '-m', 'DUMMY_IRQ'];

// The build number and date go into every link: fixed, so that make -n says the same twice.
const REPRODUCIBLE = { KBUILD_BUILD_VERSION: '1', KBUILD_BUILD_TIMESTAMP: 'Thu Jan  1 00:00:00 UTC 2026' };

/** Native make, CONTAINER as given (absent unless `env` or `args` has it). */
async function nativeMake(cwd: string, args: string[], env: Record<string, string> = {}) {
  const { CONTAINER: _c, MAKEFLAGS: _m, MAKELEVEL: _l, ...inherited } = process.env;
  const r = await execa('make', args, { cwd, reject: false, extendEnv: false, env: { ...inherited, ...REPRODUCIBLE, ...env }, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const timings: Record<string, number> = {};
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const start = Date.now();
  try {
    return await fn();
  } finally {
    timings[name] = Date.now() - start;
  }
}

describe('patches/ on linux 7.2', () => {
  let overlay: Overlay;
  /** Over the shared build's O=: the native build, then the container's. */
  let outOverlay: Overlay;
  /** Over outOverlay for the make -n checks, which relink vmlinux: dropped after them. */
  let dryOverlay: Overlay | undefined;
  let tree: string;
  const scratch: string[] = [];
  /** The native build's O= (then the container build's): the shared build's, under outOverlay. */
  let native: string;
  const dirs = { config0: '', config1: '', profile: '', bin: '' };
  const before = { config: '', dryRun: '', bzImage: 0 };

  beforeAll(async () => {
    const shared = await sharedBuild(BOOT_BUILDS.x86_64_72);
    expect(shared.build.exitCode, `the shared 7.2 build: ${shared.build.stderr.slice(-2000)}`).toBe(0);
    outOverlay = await mountOverlay(shared.out, 'kbc-patches-out-', { inPlace: true });
    native = outOverlay.dir;
    overlay = await mountOverlay(kernelTree('7.2'), 'kbc-patches-', { inPlace: true });
    tree = overlay.dir;
    for (const name of Object.keys(dirs) as (keyof typeof dirs)[]) scratch.push((dirs[name] = scratchDir('podman', `kbc-patches-${name}-`)));
    await timed('git base', () => gitBase(tree, touchedFiles()));

    // The tree before the series: a tinyconfig, built, and what make -n says is left to do.
    await timed('unpatched tinyconfig', async () => {
      expect((await nativeMake(tree, [`O=${dirs.config0}`, 'tinyconfig'])).exitCode).toBe(0);
      before.config = fs.readFileSync(path.join(dirs.config0, '.config'), 'utf8');
    });
    await timed('unpatched native bzImage (on the shared build)', async () => {
      // The configuration the container build below asks for: it builds in this O=.
      await execa(path.join(tree, 'scripts/config'), ['--file', path.join(native, '.config'), ...MODULE_CONFIG]);
      expect((await nativeMake(tree, [`O=${native}`, 'olddefconfig'])).exitCode).toBe(0);
      const built = await nativeMake(tree, [`O=${native}`, '-j2', 'bzImage']);
      expect(built.exitCode, built.stderr).toBe(0);
      const dry = await nativeMake(tree, [`O=${native}`, '-n', 'bzImage']);
      expect(dry.exitCode, dry.stderr).toBe(0);
      before.dryRun = dry.stdout + dry.stderr;
      // make -n still runs '+' recipes, and the vmlinux link is one: build again so that all is up to date.
      expect((await nativeMake(tree, [`O=${native}`, '-j2', 'bzImage'])).exitCode).toBe(0);
      before.bzImage = fs.statSync(path.join(native, 'arch/x86/boot/bzImage')).mtimeMs;
    });
  });

  afterAll(async () => {
    console.log(
      `patches.test.ts timings (s): ${Object.entries(timings)
        .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)}`)
        .join(', ')}`,
    );
    // The top overlay first: each is mounted over the one below at the same path.
    await dryOverlay?.remove();
    await outOverlay?.remove();
    await overlay?.remove();
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('git am applies the cover-lettered series, three commits, the fragment byte for byte', async () => {
    const am = await timed('git am', () => git(tree, ['am', '--quiet', ...SERIES], false));
    expect(am.exitCode, String(am.stderr)).toBe(0);
    const { stdout: subjects } = await git(tree, ['log', '--format=%s', 'HEAD~3..HEAD']);
    expect(String(subjects).split('\n').reverse()).toEqual([
      'kbuild: add scripts/Makefile.container to hand a build to a container',
      'kbuild: run the whole build in a container when CONTAINER= is given',
      'Documentation: dev-tools: document make CONTAINER=',
    ]);
    expect(fs.readFileSync(path.join(tree, 'scripts/Makefile.container'), 'utf8')).toBe(fs.readFileSync(path.join(REPO, 'make/Makefile.container'), 'utf8'));
    expect(fs.readFileSync(path.join(tree, 'Documentation/dev-tools/index.rst'), 'utf8')).toMatch(/^ {3}container-make$/m);
    expect(String((await git(tree, ['status', '--porcelain', '--untracked-files=no'])).stdout)).toBe('');
  });

  it('scripts/checkpatch.pl --strict: no errors, no checks, one false-positive warning', async () => {
    const r = await timed('checkpatch', () => execa('perl', ['scripts/checkpatch.pl', '--strict', '--show-types', ...SERIES], { cwd: tree, reject: false }));
    const out = String(r.stdout);
    console.log(out);
    const totals = [...out.matchAll(/^total: (\d+) errors, (\d+) warnings, (\d+) checks/gm)].map((m) => m.slice(1).map(Number));
    expect(totals).toHaveLength(SERIES.length);
    expect(totals.map(([errors, , checks]) => errors + checks)).toEqual(SERIES.map(() => 0));
    // Every `include $(srctree)/scripts/Makefile.*` line of the kernel's
    // Makefile trips EMBEDDED_FILENAME ("Makefile" in a line of Makefile).
    const warnings = [...out.matchAll(/^WARNING:(\w+):.*\n#\d+: FILE: (\S+)\n(.*)$/gm)].map((m) => [m[1], m[2].replace(/:\d+:$/, ''), m[3]]);
    expect(warnings).toEqual([['EMBEDDED_FILENAME', 'Makefile', '+include $(abs_srctree)/scripts/Makefile.container']]);
  });

  it('with CONTAINER unset, empty or only in the environment, the build is the same as before the series', async () => {
    // Kbuild rebuilds any target whose command line changed: nothing is rebuilt.
    const rebuild = await timed('patched native no-op rebuild', () => nativeMake(tree, [`O=${native}`, '-j2', 'bzImage']));
    expect(rebuild.exitCode, rebuild.stderr).toBe(0);
    expect(rebuild.stdout.split('\n').filter((l) => /^ {2}(CC|AS|LD|AR|HOSTCC|OBJCOPY|BUILD)\b/.test(l))).toEqual([]);
    expect(fs.statSync(path.join(native, 'arch/x86/boot/bzImage')).mtimeMs).toBe(before.bzImage);
    // Up to date as it is now: make -n below relinks vmlinux, in an overlay
    // dropped after it, so the container build finds O= as it is now.
    dryOverlay = await mountOverlay(native, 'kbc-patches-dry-', { inPlace: true });

    await timed('patched tinyconfig and make -n', async () => {
      expect((await nativeMake(tree, [`O=${dirs.config1}`, 'tinyconfig'])).exitCode).toBe(0);
      expect(fs.readFileSync(path.join(dirs.config1, '.config'), 'utf8')).toBe(before.config);
      for (const [args, env] of [
        [[], {}],
        [['CONTAINER='], {}],
        [[], { CONTAINER: 'korg-gcc:12' }],
      ] as const) {
        const dry = await nativeMake(tree, [`O=${native}`, '-n', ...args, 'bzImage'], env);
        expect(dry.exitCode, dry.stderr).toBe(0);
        expect(dry.stdout + dry.stderr).toBe(before.dryRun);
      }
    });
    await dryOverlay.remove();
    dryOverlay = undefined;
  });

  // O= is the patched native build's (same configuration, bzImage built, the
  // new module not; as it was before make -n's relinks):
  // korg-gcc:12 is the host's Debian GCC 12.2.0-14+deb12u1 at the same paths,
  // so the container finds the native objects up to date (Kbuild compares
  // every command line) and compiles only the modules (the new one, and
  // IKCONFIG's, which embeds the changed .config).
  it('make CONTAINER=korg-gcc:12 bzImage modules works with no -f, with O= and KBUILD_OUTPUT, and from the output directory; a native O= is up to date in it', async () => {
    const out = native;
    expect(fs.statSync(path.join(out, 'arch/x86/boot/bzImage')).mtimeMs, 'the native bzImage, as built').toBe(before.bzImage);
    const config = await timed('container olddefconfig', () =>
      runMake('podman', tree, ['CONTAINER=korg-gcc:12', `O=${out}`, 'olddefconfig'], { fragment: false }),
    );
    expect(config.exitCode, config.stderr).toBe(0);
    expect(config.stderr.split('\n')).toContain(banner('podman', 'korg-gcc:12'));
    const build = await timed('container bzImage modules', () =>
      runMake('podman', tree, ['CONTAINER=korg-gcc:12', '-j2', 'olddefconfig', 'bzImage', 'modules'], {
        fragment: false,
        env: { KBUILD_OUTPUT: out, ...REPRODUCIBLE },
      }),
    );
    expect(build.exitCode, build.stderr).toBe(0);
    expect(build.stderr.split('\n')).toContain(banner('podman', 'korg-gcc:12'));
    expect(fs.readFileSync(path.join(out, '.config'), 'utf8')).toMatch(/^CONFIG_DUMMY_IRQ=m$/m);
    expect(fs.statSync(path.join(out, 'arch/x86/boot/bzImage')).size).toBeGreaterThan(100_000);
    expect(fs.existsSync(path.join(out, 'drivers/misc/dummy-irq.ko'))).toBe(true);
    expect(build.stdout).toMatch(/Kernel: arch\/x86\/boot\/bzImage is ready/);
    // What the container compiled: the module, nothing the native build had made.
    const compiled = build.stdout.split('\n').filter((l) => /^ {2}(CC|AS|HOSTCC)\b/.test(l));
    console.log(`container bzImage modules on the native O=: ${compiled.join('; ')}`);
    expect(compiled.length).toBeGreaterThan(0);
    expect(compiled.filter((l) => !/^ {2}CC \[M\] +(drivers\/misc\/dummy-irq(\.mod)?|kernel\/configs(\.mod)?|\.module-common)\.o$/.test(l))).toEqual([]);

    const release = await runMake('podman', out, ['CONTAINER=korg-gcc:12', 'kernelrelease'], { fragment: false });
    expect(release.exitCode, release.stderr).toBe(0);
    expect(release.stdout.trim()).toMatch(/^7\.2\.\d+/);

    expect(String((await git(tree, ['status', '--porcelain', '--untracked-files=no'])).stdout)).toBe('');
    expect(await containersMounting('podman', [out, tree])).toEqual([]);
  });

  it('a team .container.toml: make CONTAINER=@trixie takes image and env_file from the profile', async () => {
    const toml = path.join(tree, '.container.toml');
    fs.writeFileSync(toml, '[DEFAULT]\nimage = "korg-gcc:12"\n\n[trixie]\nimage = "korg-gcc:14"\nenv_file = "trixie.env"\n');
    fs.writeFileSync(path.join(tree, 'trixie.env'), '# the profile names its own .config\nKCONFIG_CONFIG=config.trixie\n');
    try {
      const r = await timed('container tinyconfig @trixie', () =>
        runMake('podman', tree, ['CONTAINER=@trixie', `O=${dirs.profile}`, 'tinyconfig'], { fragment: false }),
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr.split('\n')).toContain(banner('podman', 'korg-gcc:14'));
      // KCONFIG_CONFIG came from the env file; the compiler that configured it is trixie's GCC 14.
      expect(fs.existsSync(path.join(dirs.profile, '.config'))).toBe(false);
      expect(fs.readFileSync(path.join(dirs.profile, 'config.trixie'), 'utf8')).toMatch(/^CONFIG_CC_VERSION_TEXT="gcc \(Debian 14\./m);

      fs.appendFileSync(toml, 'network = "host"\n');
      const bad = await runMake('podman', tree, ['CONTAINER=@trixie', `O=${dirs.profile}`, 'tinyconfig'], { fragment: false });
      expect(bad.exitCode).toBe(2);
      // The runner's one line; make then reports the failed recipe as it always does.
      const lines = bad.stderr.split('\n').filter((l) => l !== '' && !/^make(\[\d+\])?: \*\*\* \[.*\] Error \d+$/.test(l));
      expect(lines).toEqual([expect.stringMatching(/^kbuild-container: /)]);
      expect(lines[0]).toContain(`${toml}:7: unknown key 'network' in [trixie]`);
    } finally {
      fs.rmSync(toml, { force: true });
      fs.rmSync(path.join(tree, 'trixie.env'), { force: true });
    }
  });

  it('without the runner installed: one line saying what to install, nothing run', async () => {
    // The system's own PATH, minus the runner: absent even where npm install -g put it in /usr/bin.
    const bin = systemPathWithout(['kbuild-container'], dirs.bin);
    expect(fs.readdirSync(bin)).toContain('make');
    expect(fs.existsSync(path.join(bin, 'kbuild-container'))).toBe(false);
    const r = await runMake('podman', tree, ['CONTAINER=korg-gcc:12', `O=${dirs.profile}`, 'bzImage'], { fragment: false, env: { PATH: bin } });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^\S+\/scripts\/Makefile\.container:\d+: \*\*\* CONTAINER builds need kbuild-container: install it \(npm install -g kbuild-container\)/,
    );
  });
});

describe('patches/ on linux 6.12', () => {
  let overlay: Overlay;
  beforeAll(async () => {
    overlay = await mountOverlay(kernelTree('6.12'), 'kbc-patches-612-');
    await gitBase(
      overlay.dir,
      touchedFiles().filter((f) => fs.existsSync(path.join(overlay.dir, f))),
    );
  });
  afterAll(async () => overlay?.remove());

  // The series is for 7.2; the cover letter says it does not apply to 6.12.
  // This reports why, file by file, and fails if that ever changes.
  it('reports whether the series applies (it does not: no scripts/container there)', async () => {
    const am = await git(overlay.dir, ['am', ...SERIES], false);
    if (am.exitCode !== 0) await git(overlay.dir, ['am', '--abort'], false);
    const failures: string[] = [];
    for (const patch of SERIES) {
      const check = await git(overlay.dir, ['apply', '--check', patch], false);
      for (const m of String(check.stderr).matchAll(/^error: patch failed: (\S+)$/gm)) failures.push(`${path.basename(patch).slice(0, 4)} ${m[1]}`);
    }
    console.log(`6.12: git am ${am.exitCode === 0 ? 'applies' : 'fails'}; hunks failing against 6.12 itself: ${failures.join(', ') || 'none'}`);
    expect(am.exitCode).not.toBe(0);
    expect(failures).toEqual(['0001 MAINTAINERS:6573', '0002 Makefile:42', '0003 Documentation/dev-tools/index.rst:40', '0003 MAINTAINERS:6572']);
  });
});
