import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXEC_SCRIPT, chooseExecImage, execOutputDirs, findExecTree, planExec, splitExecWords, type PathKind } from '../../../src/exec/plan-exec.js';
import { buildInvocation } from '../../../src/parse/invocation.js';
import { ENGINES, type HostFacts } from '../../../src/plan/engines/index.js';
import { WRAPPER_SCRIPT } from '../../../src/plan/plan-run.js';

const TREE = '/src/linux';
const CWD = '/src/linux/drivers/net';
const PIPED: HostFacts = { uid: 1000, gid: 1000, username: 'kb', hostname: 'buildhost', stdinIsTTY: false, stdoutIsTTY: false };
const TERMINAL: Partial<HostFacts> = { stdinIsTTY: true, stdoutIsTTY: true };

describe('splitExecWords', () => {
  it.each([
    [['korg-gcc', '--', 'ls', '-l'], { image: 'korg-gcc', command: ['ls', '-l'] }],
    [['--', 'sh'], { image: undefined, command: ['sh'] }],
    // Only the first `--` separates: the command's own words stay as typed.
    [['--', 'sh', '-c', 'echo --', '--'], { image: undefined, command: ['sh', '-c', 'echo --', '--'] }],
    [['@kunit', '--', 'python3', '--version'], { image: '@kunit', command: ['python3', '--version'] }],
  ])('%j', (words, split) => {
    expect(splitExecWords(words)).toEqual(split);
  });

  it.each([
    [[], "exec: put the command after '--' (kbuild-container exec [IMAGE] -- COMMAND [ARGS...])"],
    [['korg-gcc', 'ls'], "exec: put the command after '--' (kbuild-container exec [IMAGE] -- COMMAND [ARGS...])"],
    [['korg-gcc', '--'], "exec: no command after '--' (kbuild-container exec [IMAGE] -- COMMAND [ARGS...])"],
    [['--', ''], "exec: no command after '--' (kbuild-container exec [IMAGE] -- COMMAND [ARGS...])"],
    [['a', 'b', '--', 'ls'], "exec: one image before '--', not 2 words (a b)"],
    [['-t', '--', 'ls'], "exec: unknown option '-t' (kbuild-container exec [IMAGE] -- COMMAND [ARGS...])"],
  ])('%j: %s', (words, message) => {
    expect(() => splitExecWords(words)).toThrow(message);
  });
});

describe('chooseExecImage', () => {
  it.each([
    ['korg-gcc:12', { CONTAINER: 'korg-clang' }, true, 'korg-gcc:12'],
    [undefined, { CONTAINER: ' korg-clang ' }, true, 'korg-clang'],
    [undefined, { CONTAINER: '@arm' }, false, '@arm'],
    [undefined, {}, true, '@'],
    [undefined, { CONTAINER: '' }, true, '@'],
  ])('typed %s, env %j, .container.toml %s: %s', (typed, env, hasToml, image) => {
    expect(chooseExecImage(typed, env, hasToml)).toBe(image);
  });

  it('no image anywhere: one line saying where one comes from', () => {
    expect(() => chooseExecImage(undefined, {}, false)).toThrow('exec: no image: name one (kbuild-container exec korg-gcc -- COMMAND) or set CONTAINER');
  });
});

describe('findExecTree', () => {
  const kernel = ['/src/linux/Makefile', '/src/linux/scripts/Makefile.build', '/src/linux/arch/x86/Makefile', '/src/linux/arch/x86/Kbuild'];
  it.each([
    ['/src/linux/arch/x86', kernel, '/src/linux'],
    ['/src/linux', kernel, '/src/linux'],
    // A kernel tree inside a git work tree: the kernel top wins, the nearer mark.
    ['/home/me/linux/lib', ['/home/me/.git', '/home/me/linux/Makefile', '/home/me/linux/scripts/Makefile.build'], '/home/me/linux'],
    ['/home/me/proj/src', ['/home/me/proj/.git'], '/home/me/proj'],
    ['/tmp/scratch', [], '/tmp/scratch'],
    ['/', [], '/'],
  ])('%s: %s', (cwd, files, top) => {
    const set = new Set(files);
    expect(findExecTree(cwd, (f) => set.has(f))).toBe(top);
  });
});

function plan(
  opts: {
    engine?: 'podman' | 'docker';
    host?: Partial<HostFacts>;
    env?: NodeJS.ProcessEnv;
    term?: string;
    command?: string[];
    makefile?: string;
    outputDirs?: string[];
    overrides?: { name: string; value: string; op: '=' }[];
  } = {},
) {
  const engine = opts.engine ?? 'podman';
  const invocation = buildInvocation({
    cwd: CWD,
    goals: [],
    flags: [],
    jobs: { kind: 'default' },
    overrides: [{ name: 'CONTAINER', value: 'korg-gcc:12', op: '=' }, ...(opts.overrides ?? [])],
    silent: false,
    env: opts.env ?? {},
    containerConfig: undefined,
  });
  return planExec({
    invocation,
    command: opts.command ?? ['ls', '-l'],
    engine: ENGINES[engine],
    enginePath: `/usr/bin/${engine}`,
    host: { ...PIPED, ...opts.host },
    tree: { srctree: TREE },
    runId: 'r1',
    term: opts.term,
    makefile: opts.makefile,
    outputDirs: opts.outputDirs,
  });
}

/** The words between the image and the end: what runs inside. */
const inside = (args: string[]) => args.slice(args.indexOf('korg-gcc:12') + 1);
const EXEC_TAIL = ['sh', '-c', EXEC_SCRIPT, 'kbuild-container-exec', 'korg-gcc:12', 'ls', '-l'];
const COMMON = [
  'run',
  '--rm',
  '--init',
  '--name=kbuild-exec-r1',
  '--label=io.kbuild-container.run=r1',
  '--pull=never',
  '--network=none',
  '--hostname=buildhost',
];
const MOUNT = ['--volume=/src/linux:/src/linux:rw', `--workdir=${CWD}`];

describe('planExec', () => {
  it.each([
    ['podman rootless, piped', 'podman', PIPED, ['--interactive', '--userns=keep-id', '--user=1000:1000']],
    ['podman rootful, piped', 'podman', { uid: 0, gid: 0, username: 'root' }, ['--interactive', '--user=0:0']],
    ['docker, piped', 'docker', PIPED, ['--interactive', '--user=1000:1000']],
    ['podman rootless, terminal', 'podman', TERMINAL, ['--interactive', '--tty', '--userns=keep-id', '--user=1000:1000']],
    ['podman rootful, terminal', 'podman', { ...TERMINAL, uid: 0, gid: 0, username: 'root' }, ['--interactive', '--tty', '--user=0:0']],
    ['docker, terminal', 'docker', TERMINAL, ['--interactive', '--tty', '--user=1000:1000']],
    // A terminal on stdin but output to a pipe: stdin is not read (no SIGTTIN in the background), no TTY.
    ['docker, terminal stdin, piped stdout', 'docker', { stdinIsTTY: true }, ['--user=1000:1000']],
  ] as const)('%s', (_, engine, host, middle) => {
    const p = plan({ engine, host });
    const user = host.username ?? 'kb';
    const terminal = host.stdinIsTTY === true && host.stdoutIsTTY === true;
    const run = terminal ? EXEC_TAIL : ['sh', '-c', WRAPPER_SCRIPT, 'kbuild-container', 'kbuild-container-started-r1', '', '', ...EXEC_TAIL];
    expect(p.args).toEqual([...COMMON, ...middle, '--env=HOME=/tmp', `--env=KBUILD_BUILD_USER=${user}`, ...MOUNT, 'korg-gcc:12', ...run]);
    expect(p.file).toBe(`/usr/bin/${engine}`);
    expect([p.interactive, p.attachStdin, p.startMarker]).toEqual([terminal, middle.includes('--interactive'), terminal ? '' : 'kbuild-container-started-r1']);
    expect(p.removeArgs).toEqual(ENGINES[engine].removeArgs('kbuild-exec-r1'));
    expect(p.passFds).toEqual([]);
  });

  it("passes a build's variables by name, CONTAINER_ENV's too, and nothing else of the caller's environment", () => {
    const env = {
      ARCH: 'arm64',
      KBUILD_BUILD_USER: 'ci',
      KCONFIG_CONFIG: 'c',
      CONTAINER_ENV: 'PYTHONPATH',
      PYTHONPATH: '/x',
      SECRET: 's',
      HOME: '/root',
      CONTAINER: 'x',
    };
    const envArgs = plan({ env }).args.filter((a) => a.startsWith('--env='));
    expect(envArgs).toEqual(['--env=HOME=/tmp', '--env=ARCH=arm64', '--env=KBUILD_BUILD_USER=ci', '--env=KCONFIG_CONFIG=c', '--env=PYTHONPATH=/x']);
  });

  it.each([
    [TERMINAL, 'xterm-256color', ['--env=TERM=xterm-256color']],
    [TERMINAL, undefined, []],
    [{}, 'xterm-256color', []],
  ])("the caller's TERM only with a terminal: %j %s", (host, term, expected) => {
    expect(plan({ host, term }).args.filter((a) => a.startsWith('--env=TERM'))).toEqual(expected);
  });

  it.each([
    [{}, '/src/linux/Makefile', ['kbuild-container-started-r1', '', '/src/linux/Makefile']],
    [{}, undefined, ['kbuild-container-started-r1', '', '']],
  ])("the wrapper checks the tree's Makefile is visible inside, when the host sees one: %j %s", (host, makefile, wrapperArgs) => {
    const args = plan({ host, makefile }).args;
    const at = args.indexOf('kbuild-container');
    expect(args.slice(at + 1, at + 4)).toEqual(wrapperArgs);
  });

  it('the command words reach the container untouched: no shell parses them', () => {
    const command = ['sh', '-c', 'echo "$HOME" $((1+1)); exit 3', '*', ';'];
    expect(inside(plan({ command }).args).slice(-command.length)).toEqual(command);
  });
});

describe('execOutputDirs', () => {
  const KUNIT = 'tools/testing/kunit/kunit.py';
  const on = (kinds: Record<string, PathKind>) => (file: string) => kinds[file] ?? 'missing';
  it.each([
    // kunit.py chdirs to the tree holding it: a relative --build_dir is the tree's, wherever cwd is.
    [[KUNIT, 'run', '--build_dir=.kunit-x'], '/src/linux', {}, { dirs: ['/src/linux/.kunit-x'], missing: ['/src/linux/.kunit-x'] }],
    [['../../' + KUNIT, 'run', '--build_dir', 'out'], '/src/linux/drivers/net', {}, { dirs: ['/src/linux/out'], missing: ['/src/linux/out'] }],
    [['/src/linux/' + KUNIT, 'run', '--build_dir=/tmp/k'], '/elsewhere', { '/tmp/k': 'directory' }, { dirs: ['/tmp/k'], missing: [] }],
    [['python3', KUNIT, 'build', '--build_dir=b'], '/src/linux', {}, { dirs: ['/src/linux/b'], missing: ['/src/linux/b'] }],
    // argparse's rule: the last one wins.
    [[KUNIT, 'run', '--build_dir=a', '--build_dir=/tmp/b'], '/src/linux', {}, { dirs: ['/tmp/b'], missing: ['/tmp/b'] }],
    // Found on PATH: no tree of its own, so cwd.
    [['kunit.py', 'run', '--build_dir=o'], '/src/linux/lib', {}, { dirs: ['/src/linux/lib/o'], missing: ['/src/linux/lib/o'] }],
    // No --build_dir: kunit.py's own default, .kunit in its tree, for the subcommands that write it.
    [[KUNIT, 'run'], '/src/linux', {}, { dirs: ['/src/linux/.kunit'], missing: ['/src/linux/.kunit'] }],
    [[KUNIT, '--help'], '/src/linux', {}, { dirs: [], missing: [] }],
    [[KUNIT, 'parse', 'log.txt'], '/src/linux', {}, { dirs: [], missing: [] }],
    // Not an option of a known tool, or no directory named: nothing more mounted.
    [[KUNIT, 'run', '--build_dir='], '/src/linux', {}, { dirs: [], missing: [] }],
    [['make', '--build_dir=x'], '/src/linux', {}, { dirs: [], missing: [] }],
    [['sh', '-c', 'kunit.py --build_dir=x'], '/src/linux', {}, { dirs: [], missing: [] }],
  ] as const)('%j in %s', (command, cwd, kinds, want) => {
    expect(execOutputDirs(command, cwd, on(kinds))).toEqual(want);
  });

  it.each([
    [['tools/testing/kunit/kunit.py', 'run', '--build_dir=f'], 'exec: --build_dir=f: /src/linux/f exists and is not a directory'],
    [
      ['tools/testing/kunit/kunit.py', 'run', '--build_dir', '/tmp/a:b'],
      "exec: --build_dir=/tmp/a:b: a path with ':' or ',' cannot be mounted into a container",
    ],
  ])('%j: one line naming it', (command, message) => {
    expect(() => execOutputDirs(command, '/src/linux', on({ '/src/linux/f': 'file' }))).toThrow(message);
  });
});

describe('planExec output directories', () => {
  const volumes = (args: string[]) => args.filter((a) => a.startsWith('--volume='));
  it.each([
    // The tree is writable (no O=): a build_dir inside it needs no mount of its own.
    [{}, ['/src/linux/.kunit'], ['--volume=/src/linux:/src/linux:rw']],
    [{}, ['/tmp/k'], ['--volume=/tmp/k:/tmp/k:rw', '--volume=/src/linux:/src/linux:rw']],
    // O= elsewhere: the tree read-only, the command's output directory written anyway.
    [
      { overrides: [{ name: 'O', value: '/tmp/o', op: '=' as const }] },
      ['/src/linux/.kunit'],
      ['--volume=/tmp/o:/tmp/o:rw', '--volume=/src/linux:/src/linux:ro', '--volume=/src/linux/.kunit:/src/linux/.kunit:rw'],
    ],
    // The tree itself as the output: one mount, read-write.
    [{ overrides: [{ name: 'O', value: '/tmp/o', op: '=' as const }] }, ['/src/linux'], ['--volume=/tmp/o:/tmp/o:rw', '--volume=/src/linux:/src/linux:rw']],
  ])('%j + %j', (opts, outputDirs, want) => {
    expect(volumes(plan({ ...opts, outputDirs }).args)).toEqual(want);
  });
});

describe('EXEC_SCRIPT under sh', () => {
  const exec = (command: string[], input = '') => execa('sh', ['-c', EXEC_SCRIPT, 'kbuild-container-exec', 'korg-x', ...command], { reject: false, input });

  it('a command the image lacks: one line naming it and the image, status 127', async () => {
    const r = await exec(['kbc-no-such-command', '--version']);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([127, '', "kbuild-container: exec: 'kbc-no-such-command' not found in image 'korg-x'"]);
  });

  it('a path that does not exist: the same line', async () => {
    const r = await exec(['./kbc-no-such-script']);
    expect([r.exitCode, r.stderr]).toEqual([127, "kbuild-container: exec: './kbc-no-such-script' not found in image 'korg-x'"]);
  });

  it.each([
    ['#!/usr/bin/env kbc-no-such-python\n', 'kbc-no-such-python'],
    ['#!/usr/bin/env -S kbc-no-such-python -u\n', 'kbc-no-such-python'],
    ['#! /opt/kbc-no-such/perl -w\n', '/opt/kbc-no-such/perl'],
  ])('a script whose interpreter the image lacks (%j): one line naming both and the image, status 127', async (shebang, interpreter) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-exec-script-'));
    try {
      const script = path.join(dir, 'kunit.py');
      fs.writeFileSync(script, shebang + 'print(1)\n', { mode: 0o755 });
      const r = await exec([script, 'run']);
      expect([r.exitCode, r.stdout, r.stderr]).toEqual([127, '', `kbuild-container: exec: '${script}' needs '${interpreter}', not found in image 'korg-x'`]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a script whose interpreter is there runs (env skipped, options too)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-exec-script-'));
    try {
      const script = path.join(dir, 's');
      fs.writeFileSync(script, '#!/usr/bin/env -S sh -e\necho "ran $1"\n', { mode: 0o755 });
      const r = await exec([script, 'x']);
      expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, 'ran x', '']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('otherwise the command itself, with stdin, its arguments as given and its own status (a 127 of its own too)', async () => {
    const r = await exec(['sh', '-c', 'cat; printf "[%s]" "$@"; exit "$1"', 'sh', '127', 'a b'], 'piped\n');
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([127, 'piped\n[127][a b]', '']);
  });
});
