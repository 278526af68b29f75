// `kbuild-container enable DIR` on a real 6.1 tree (an overlay copy, so the
// pristine tree is never written): with CONTAINER unset the tree behaves
// exactly like a plain one, with CONTAINER set `make CONTAINER=img O=...`
// works without -f, and `disable` removes exactly what `enable` wrote.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  callerIds,
  filesNotOwnedBy,
  kernelTree,
  mountOverlay,
  containersMounting,
  runMake,
  runnerBinDir,
  scratchDir,
  treeSnapshot,
  type MakeResult,
  type Overlay,
} from './support.js';

const PRISTINE = kernelTree('6.1');
const IMAGE = 'korg-gcc:12';
const CLI = () => path.join(runnerBinDir(), 'kbuild-container');

let overlay: Overlay;
let tree: string;
const scratch: string[] = [];
const figures: string[] = [];

function tmpDir(): string {
  const dir = scratchDir('podman', 'kbc-enable-');
  scratch.push(dir);
  return dir;
}

/** Plain `make ARGS` in the tree, as a user types it (no -f, no CONTAINER_RUNTIME). */
async function make(args: string[], what?: string): Promise<MakeResult> {
  const r = await runMake('podman', tree, args, { fragment: false, runtime: false });
  if (what) figures.push(`${what}: ${(r.ms / 1000).toFixed(1)} s, exit ${r.exitCode}`);
  return r;
}

async function cli(command: 'enable' | 'disable', dir: string) {
  return execa(CLI(), [command, dir], { reject: false, env: { PATH: `${runnerBinDir()}:${process.env.PATH}` } });
}

/** The tree's snapshot without its top directory's own line (its times change when a file is added). */
async function contents(dir: string): Promise<string> {
  return (await treeSnapshot(dir))
    .split('\n')
    .filter((l) => !l.startsWith(' '))
    .join('\n');
}

/** What overlayfs holds on top of the pristine tree: every file the tests wrote, whiteouts included. */
function upperFiles(): string[] {
  return fs.readdirSync(overlay.upper, { recursive: true }).map(String).sort();
}

beforeAll(async () => {
  overlay = await mountOverlay(PRISTINE, 'kbc-enable-');
  tree = overlay.dir;
});

afterAll(async () => {
  const left = await containersMounting('podman', [...scratch, tree]);
  await overlay?.remove();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  if (figures.length > 0) console.log(['enable.test.ts figures (linux 6.1 overlay, rootful podman):', ...figures].join('\n  '));
  expect(left).toEqual([]);
});

describe('kbuild-container enable on a 6.1 tree (overlay copy)', () => {
  let pristineView: string;
  let enabledView: string;

  it('enable writes only GNUmakefile, which includes the kernel Makefile unless CONTAINER is set', async () => {
    pristineView = await contents(tree);
    const r = await cli('enable', tree);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toBe(`kbuild-container: wrote ${tree}/GNUmakefile`);
    expect(upperFiles()).toEqual(['GNUmakefile']);
    const text = fs.readFileSync(path.join(tree, 'GNUmakefile'), 'utf8');
    expect(text).toMatch(/^include Makefile$/m);
    expect(text).toContain('include /'); // the fragment, by absolute path
    enabledView = await contents(tree);
  });

  it('with CONTAINER set, make CONTAINER=korg-gcc:12 O=... tinyconfig works with no -f', async () => {
    const out = tmpDir();
    const r = await runMake('podman', tree, [`CONTAINER=${IMAGE}`, `O=${out}`, 'tinyconfig'], { fragment: false });
    figures.push(`enabled tree, CONTAINER=${IMAGE} O=... tinyconfig: ${(r.ms / 1000).toFixed(1)} s`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`  PODMAN  ${IMAGE}\n`);
    expect(fs.readFileSync(path.join(out, '.config'), 'utf8')).toMatch(/^CONFIG_EMBEDDED=y$/m);
    const { uid, gid } = callerIds('podman');
    expect(await filesNotOwnedBy(out, uid, gid)).toEqual([]);
    // The build wrote only to O=.
    expect(await contents(tree)).toBe(enabledView);
  });

  it('disable removes exactly what enable wrote', async () => {
    const r = await cli('disable', tree);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(upperFiles()).toEqual([]);
    expect(await contents(tree)).toBe(pristineView);
  });

  it('with CONTAINER unset, an enabled tree behaves exactly like a plain one (output, status, .config, make -n)', async () => {
    // The same steps on a fresh plain view, then on a fresh enabled view at the same path.
    const steps = async (label: string) => {
      const tiny = await make(['tinyconfig'], `${label} tree: make tinyconfig (native)`);
      const config = fs.readFileSync(path.join(tree, '.config'), 'utf8');
      const dryRun = await make(['-n'], `${label} tree: make -n (native)`);
      const failing = await make(['nosuchtarget']);
      return { tiny, config, dryRun, failing };
    };
    await overlay.reset();
    const plain = await steps('plain');
    await overlay.reset();
    expect((await cli('enable', tree)).exitCode).toBe(0);
    const enabled = await steps('enabled');

    expect(plain.tiny.exitCode).toBe(0);
    expect(plain.config).toMatch(/^CONFIG_EMBEDDED=y$/m);
    expect(plain.dryRun.stdout.split('\n').length).toBeGreaterThan(100);
    expect(plain.failing.exitCode).toBe(2);
    for (const key of ['tiny', 'dryRun', 'failing'] as const) {
      expect(enabled[key].exitCode, key).toBe(plain[key].exitCode);
      expect(enabled[key].stdout, key).toBe(plain[key].stdout);
      expect(enabled[key].stderr, key).toBe(plain[key].stderr);
    }
    expect(enabled.config).toBe(plain.config);
  });

  it('in a git checkout, GNUmakefile stays out of git and the version gets no -dirty', async () => {
    // Committing 1.5 GB would take minutes: commit only a few files.
    // setlocalversion checks tracked files only (status -uno), so the
    // exclude entry is checked on its own, and a dirty control proves the probe.
    await overlay.reset();
    const git = (args: string[]) => execa('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: tree, reject: false });
    // Debian's tree ignores everything at the top level ('/*'); an upstream checkout does not.
    const gitignore = path.join(tree, '.gitignore');
    fs.writeFileSync(
      gitignore,
      fs
        .readFileSync(gitignore, 'utf8')
        .split('\n')
        .filter((l) => l !== '/*' && l !== '!/debian/')
        .join('\n'),
    );
    await git(['init', '-q']);
    await git(['add', '--force', '.gitignore', 'Makefile', 'README']);
    expect((await git(['commit', '-q', '-m', 'base'])).exitCode).toBe(0);
    const exclude = path.join(tree, '.git', 'info', 'exclude');
    const excludeBefore = fs.readFileSync(exclude, 'utf8');

    expect((await cli('enable', tree)).exitCode).toBe(0);
    expect(fs.readFileSync(exclude, 'utf8')).toBe(`${excludeBefore}${excludeBefore.endsWith('\n') ? '' : '\n'}/GNUmakefile\n`);
    expect(String((await git(['status', '--porcelain', '--untracked-files=all', '--', 'GNUmakefile'])).stdout)).toBe('');
    expect(String((await git(['check-ignore', '-v', 'GNUmakefile'])).stdout)).toMatch(/^\.git\/info\/exclude:\d+:\/GNUmakefile\tGNUmakefile$/);

    // setlocalversion reads include/config/auto.conf from the build directory
    // (and kernelrelease wants autoconf.h beside it): a stand-in for `make prepare`.
    const out = tmpDir();
    for (const [file, text] of [
      ['include/config/auto.conf', 'CONFIG_LOCALVERSION_AUTO=y\n'],
      ['include/generated/autoconf.h', ''],
    ]) {
      fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
      fs.writeFileSync(path.join(out, file), text);
    }
    const head = String((await git(['rev-parse', 'HEAD'])).stdout).slice(0, 12);
    const local = await execa('sh', [path.join(tree, 'scripts', 'setlocalversion'), tree], { cwd: out, reject: false });
    expect(String(local.stdout)).toBe(`-g${head}`);

    // The same inside the container, through the enabled tree.
    const r = await runMake('podman', tree, ['-s', `CONTAINER=${IMAGE}`, `O=${out}`, 'kernelrelease'], { fragment: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^6\\.1\\.\\d+-g${head}\\n$`));

    // Control: a changed tracked file does give -dirty, so the probe can fail.
    fs.appendFileSync(path.join(tree, 'README'), '\n');
    const dirty = await execa('sh', [path.join(tree, 'scripts', 'setlocalversion'), tree], { cwd: out, reject: false });
    expect(String(dirty.stdout)).toBe(`-g${head}-dirty`);

    expect((await cli('disable', tree)).exitCode).toBe(0);
    expect(fs.existsSync(path.join(tree, 'GNUmakefile'))).toBe(false);
    expect(fs.readFileSync(exclude, 'utf8')).toBe(excludeBefore);
  });
});
