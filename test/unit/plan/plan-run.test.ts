import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInvocation, type InvocationInput } from '../../../src/parse/invocation.js';
import { parseAssignment } from '../../../src/parse/makeflags.js';
import { ENGINES, type HostFacts } from '../../../src/plan/engines/index.js';
import { WRAPPER_SCRIPT, innerMake, planMounts, planRun, type TreeFacts } from '../../../src/plan/plan-run.js';

const SRC = '/src/linux';
const PIPED: HostFacts = { uid: 1000, gid: 1000, username: 'kb', hostname: 'buildhost', stdinIsTTY: false, stdoutIsTTY: false };

function invocation(words: string[], more: Partial<InvocationInput> = {}) {
  const overrides = ['CONTAINER=korg-gcc', ...words].map((w) => parseAssignment(w)!);
  return buildInvocation({ cwd: SRC, goals: [], flags: [], jobs: { kind: 'default' }, overrides, silent: false, env: {}, ...more });
}

function plan(opts: { words?: string[]; more?: Partial<InvocationInput>; engine?: 'podman' | 'docker'; host?: Partial<HostFacts>; tree?: TreeFacts } = {}) {
  const engine = opts.engine ?? 'podman';
  return planRun({
    invocation: invocation(opts.words ?? [], opts.more),
    engine: ENGINES[engine],
    enginePath: `/usr/bin/${engine}`,
    host: { ...PIPED, ...opts.host },
    tree: opts.tree ?? { srctree: SRC },
    runId: 'r1',
  });
}

/** True when `fragment` occurs in `args` as consecutive words. */
function contains(args: string[], fragment: string[]): boolean {
  return args.some((_, i) => fragment.every((w, k) => args[i + k] === w));
}

describe('planRun', () => {
  it.each([
    ['podman', 0, ['--user=0:0'], ['--userns=keep-id'], ['rm', '--force', '--time=0', 'kbuild-r1']],
    ['podman', 1000, ['--userns=keep-id', '--user=1000:1000'], [], ['rm', '--force', '--time=0', 'kbuild-r1']],
    ['docker', 0, ['--user=0:0'], ['--userns=keep-id'], ['rm', '--force', 'kbuild-r1']],
    ['docker', 1000, ['--user=1000:1000'], ['--userns=keep-id'], ['rm', '--force', 'kbuild-r1']],
  ] as const)('%s as uid %d: has %j, lacks %j, removes with %j', (engine, uid, has, lacks, removeArgs) => {
    const p = plan({ engine, host: { uid, gid: uid } });
    expect(p.file).toBe(`/usr/bin/${engine}`);
    expect(contains(p.args, [...has])).toBe(true);
    for (const word of lacks) expect(p.args).not.toContain(word);
    expect(p.removeArgs).toEqual(removeArgs);
  });

  it.each(['podman', 'docker'] as const)('%s: the fixed words of every run', (engine) => {
    const args = plan({ engine }).args;
    expect(args.slice(0, 7)).toEqual(['run', '--rm', '--init', '--name=kbuild-r1', '--label=io.kbuild-container.run=r1', '--pull=never', '--network=none']);
    expect(args).toContain('--hostname=buildhost');
    expect(args).toContain(`--workdir=${SRC}`);
  });

  it('runs the wrapper with the start marker, then make, after the image and CONTAINER_ARGS', () => {
    const p = plan({ words: ['CONTAINER_ARGS=--cpus 2', 'V=1'], more: { goals: ['bzImage'], jobs: { kind: 'count', count: 8 } } });
    const at = p.args.indexOf('korg-gcc');
    // Wrapper arguments: $0, the start marker, the jobserver FIFO and the Makefile to check (none here), then make.
    expect(p.args.slice(at - 2)).toEqual([
      '--cpus',
      '2',
      'korg-gcc',
      'sh',
      '-c',
      WRAPPER_SCRIPT,
      'kbuild-container',
      'kbuild-container-started-r1',
      '',
      '',
      'make',
      '-j8',
      'V=1',
      'bzImage',
    ]);
    expect(p.startMarker).toBe('kbuild-container-started-r1');
    expect(p.name).toBe('kbuild-r1');
  });

  it('hands the wrapper the Makefile the host sees, for it to check inside', () => {
    const p = planRun({
      invocation: invocation([]),
      engine: ENGINES.podman,
      enginePath: '/usr/bin/podman',
      host: PIPED,
      tree: { srctree: SRC },
      runId: 'r1',
      makefile: `${SRC}/Makefile`,
    });
    expect(p.args.slice(p.args.indexOf('kbuild-container'), p.args.indexOf('make'))).toEqual([
      'kbuild-container',
      'kbuild-container-started-r1',
      '',
      `${SRC}/Makefile`,
    ]);
  });

  it.each([
    [['--env=HOME=/tmp', '--env=KBUILD_BUILD_USER=kb'], {}, []],
    [['--env=HOME=/tmp', '--env=ARCH=arm64', '--env=KBUILD_BUILD_USER=kb'], { ARCH: 'arm64', GITHUB_TOKEN: 't' }, []],
    [['--env=HOME=/tmp', '--env=KBUILD_BUILD_USER=ci'], { KBUILD_BUILD_USER: 'ci' }, []],
    [['--env=HOME=/tmp'], {}, ['KBUILD_BUILD_USER=ci']],
  ])('environment %j from env %j and words %j', (expected, env, words) => {
    const args = plan({ words, more: { env } }).args;
    expect(args.filter((a) => a.startsWith('--env='))).toEqual(expected);
  });

  it.each([
    // goals, stdin TTY, stdout TTY → --interactive, --tty, marker
    [['menuconfig'], true, true, true, true, ''],
    [['nconfig'], true, true, true, true, ''],
    [['menuconfig'], true, false, false, false, 'kbuild-container-started-r1'],
    [['menuconfig'], false, true, true, false, 'kbuild-container-started-r1'],
    [['menuconfig'], false, false, true, false, 'kbuild-container-started-r1'],
    [['bzImage'], true, true, false, false, 'kbuild-container-started-r1'],
    [['bzImage'], false, true, true, false, 'kbuild-container-started-r1'],
    [['bzImage'], false, false, true, false, 'kbuild-container-started-r1'],
  ])('goals %j, stdin TTY %s, stdout TTY %s → --interactive %s, --tty %s', (goals, stdinIsTTY, stdoutIsTTY, interactiveFlag, tty, marker) => {
    const p = plan({ more: { goals }, host: { stdinIsTTY, stdoutIsTTY } });
    expect(p.args.includes('--interactive')).toBe(interactiveFlag);
    expect(p.args.includes('--tty')).toBe(tty);
    expect(p.attachStdin).toBe(interactiveFlag);
    expect(p.interactive).toBe(tty);
    expect(p.startMarker).toBe(marker);
  });

  it.each([
    ['none', true],
    ['slirp4netns', true],
    ['host', false],
  ])('CONTAINER_NETWORK=%s → --hostname given: %s', (network, hostname) => {
    const args = plan({ words: [`CONTAINER_NETWORK=${network}`] }).args;
    expect(args).toContain(`--network=${network}`);
    expect(args.includes('--hostname=buildhost')).toBe(hostname);
  });

  it('mounts become --volume words at the same paths', () => {
    const args = plan({ words: ['O=/build/x'] }).args;
    expect(args.filter((a) => a.startsWith('--volume='))).toEqual(['--volume=/build/x:/build/x:rw', `--volume=${SRC}:${SRC}:ro`]);
  });

  it('the banner names the engine and image', () => {
    expect(plan({ engine: 'docker' }).banner).toBe('  DOCKER  korg-gcc');
  });
});

// Mounts come parents first: a read-only tree must not hide a writable O= below it.
describe('planMounts', () => {
  const rw = (path: string) => ({ path, readOnly: false });
  const ro = (path: string) => ({ path, readOnly: true });

  it.each([
    ['in-tree build', [], SRC, { srctree: SRC }, [rw(SRC)]],
    ['O outside the tree', ['O=/build/x'], SRC, { srctree: SRC }, [rw('/build/x'), ro(SRC)]],
    ['O inside the tree', ['O=build'], SRC, { srctree: SRC }, [ro(SRC), rw(`${SRC}/build`)]],
    ['O=. is in-tree', ['O=.'], SRC, { srctree: SRC }, [rw(SRC)]],
    ['make -C O M=dir', ['M=/ext/m'], '/build/x', { srctree: SRC, objtree: '/build/x' }, [rw('/ext/m'), rw('/build/x'), ro(SRC)]],
    ['M= below the tree (in-tree)', ['M=drivers/foo'], SRC, { srctree: SRC }, [rw(SRC)]],
    ['INSTALL_MOD_PATH elsewhere', ['INSTALL_MOD_PATH=/stage'], SRC, { srctree: SRC }, [rw('/stage'), rw(SRC)]],
    ['INSTALL_MOD_PATH inside O', ['O=/build/x', 'INSTALL_MOD_PATH=/build/x/mods'], SRC, { srctree: SRC }, [rw('/build/x'), ro(SRC)]],
    [
      'KCONFIG_ALLCONFIG fragment outside',
      ['O=/build/x', 'KCONFIG_ALLCONFIG=/pkg/boot/x86_64.config'],
      SRC,
      { srctree: SRC },
      [rw('/build/x'), ro(SRC), ro('/pkg/boot/x86_64.config')],
    ],
    ['KCONFIG_ALLCONFIG inside the tree', ['O=/build/x', `KCONFIG_ALLCONFIG=${SRC}/frag.config`], SRC, { srctree: SRC }, [rw('/build/x'), ro(SRC)]],
    ['cwd outside every mount', [], '/elsewhere/sub', { srctree: SRC }, [rw(SRC), rw('/elsewhere/sub')]],
  ] as const)('%s', (_what, words, cwd, tree, mounts) => {
    const inv = invocation([...words], { cwd });
    expect(planMounts(inv, tree)).toEqual(mounts);
  });

  // dpkg-buildpackage writes the .deb files into the parent of the output directory.
  it.each([
    ['bindeb-pkg, O outside the tree', ['O=/build/x'], 'bindeb-pkg', { srctree: SRC }, [rw('/build'), ro(SRC)]],
    ['deb-pkg, O beside the tree (their parent holds both)', ['O=/src/build'], 'deb-pkg', { srctree: '/src/linux' }, [rw('/src'), ro('/src/linux')]],
    ['srcdeb-pkg, in-tree build: the parent of the tree', [], 'srcdeb-pkg', { srctree: SRC }, [rw(path.dirname(SRC))]],
    ['bindeb-pkg, O inside the tree: the tree itself, writable', ['O=build'], 'bindeb-pkg', { srctree: SRC }, [rw(SRC)]],
    ['bindeb-pkg from O= (make -C O)', [], 'bindeb-pkg', { srctree: SRC, objtree: '/build/x' }, [rw('/build'), ro(SRC)]],
    ['tar-pkg writes inside O=: no parent', ['O=/build/x'], 'tar-pkg', { srctree: SRC }, [rw('/build/x'), ro(SRC)]],
  ] as const)('%s', (_what, words, goal, tree, mounts) => {
    const inv = invocation([...words], { cwd: 'objtree' in tree ? tree.objtree : SRC, goals: [goal] });
    expect(planMounts(inv, tree)).toEqual(mounts);
  });

  // 6.x (up to 6.14) docs goals write the netlink specs' reST into the source tree: with a read-only
  // tree that directory is mounted from its twin under O=; otherwise nothing changes.
  const NL = 'Documentation/networking/netlink_spec';
  const from = (source: string, path: string) => ({ path, readOnly: false, source });
  it.each([
    [
      'htmldocs, O outside',
      ['O=/build/x'],
      '',
      ['htmldocs'],
      { srctree: SRC, inTreeOutputs: [NL] },
      [rw('/build/x'), ro(SRC), from(`/build/x/${NL}`, `${SRC}/${NL}`)],
    ],
    [
      'pdfdocs from O= (make -C O)',
      [],
      '/build/x',
      ['pdfdocs'],
      { srctree: SRC, objtree: '/build/x', inTreeOutputs: [NL] },
      [rw('/build/x'), ro(SRC), from(`/build/x/${NL}`, `${SRC}/${NL}`)],
    ],
    [
      'htmldocs, O inside the tree',
      ['O=build'],
      '',
      ['htmldocs'],
      { srctree: SRC, inTreeOutputs: [NL] },
      [ro(SRC), rw(`${SRC}/build`), from(`${SRC}/build/${NL}`, `${SRC}/${NL}`)],
    ],
    ['htmldocs in-tree: the tree is writable', [], '', ['htmldocs'], { srctree: SRC, inTreeOutputs: [NL] }, [rw(SRC)]],
    ['htmldocs, a tree without the directory (7.x)', ['O=/build/x'], '', ['htmldocs'], { srctree: SRC }, [rw('/build/x'), ro(SRC)]],
    ['a kernel build on a 6.12 tree', ['O=/build/x'], '', ['bzImage'], { srctree: SRC, inTreeOutputs: [NL] }, [rw('/build/x'), ro(SRC)]],
    ['cleandocs writes nothing there', ['O=/build/x'], '', ['cleandocs'], { srctree: SRC, inTreeOutputs: [NL] }, [rw('/build/x'), ro(SRC)]],
  ] as const)('%s', (_what, words, cwd, goals, tree, mounts) => {
    const inv = invocation([...words], { cwd: cwd || SRC, goals: [...goals] });
    expect(planMounts(inv, { ...tree, inTreeOutputs: 'inTreeOutputs' in tree ? [...tree.inTreeOutputs] : undefined })).toEqual(mounts);
  });

  it('a redirected directory is mounted from its twin under O=', () => {
    const p = plan({ words: ['O=/build/x'], more: { goals: ['htmldocs'] }, tree: { srctree: SRC, inTreeOutputs: [NL] } });
    expect(p.args).toContain(`--volume=/build/x/${NL}:${SRC}/${NL}:rw`);
  });

  it('a make 4.4 jobserver fifo is mounted so the inner make can join it', () => {
    const inv = invocation([], { jobserver: { style: 'fifo', path: '/tmp/GMfifo123' } });
    expect(planMounts(inv, { srctree: SRC })).toContainEqual(rw('/tmp/GMfifo123'));
  });
});

describe('innerMake', () => {
  it.each([
    [[], [], { kind: 'default' }, [], ['make']],
    [
      ['-ks', '--no-print-directory'],
      ['V=1', "KCFLAGS=-O2 -DFOO='a b'"],
      { kind: 'count', count: 8 },
      ['bzImage', 'modules'],
      ['make', '-ks', '--no-print-directory', '-j8', 'V=1', "KCFLAGS=-O2 -DFOO='a b'", 'bzImage', 'modules'],
    ],
    [[], ['X:=1', 'Y+=2'], { kind: 'unlimited' }, ['clean', 'all'], ['make', '-j', 'X:=1', 'Y+=2', 'clean', 'all']],
    [[], ['CONTAINER_ARGS=-x', 'O=out'], { kind: 'default' }, ['modules_install'], ['make', 'O=out', 'modules_install']],
  ] as const)('flags %j, overrides %j, jobs %j, goals %j → %j', (flags, words, jobs, goals, expected) => {
    const inv = invocation([...words], { flags: [...flags], jobs, goals: [...goals] });
    expect(innerMake(inv)).toEqual(expected);
  });
});
