// The runner as users start it, the bundled `kbuild-container run ...`, against a fake
// engine on PATH: exit statuses, signals, and the lifeline after SIGKILL.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPrivateCli } from './helpers/bundled-cli.js';
import { makeFakeEngine, survivorsAfter, waitFor, type FakeEngine, type FakeEngineConfig } from './helpers/fake-engine.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// A private transpiled and bundled copy of src/ (helpers/bundled-cli.ts).
let BUILD = '';
let CLI = '';
let cleanupCli = () => {};
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
beforeAll(async () => {
  ({ root: BUILD, cli: CLI, cleanup: cleanupCli } = await buildPrivateCli());
  // Transpiling and bundling took over 10 s on this 2-core machine while other builds ran.
}, 60_000);
afterAll(() => cleanupCli());

let fake: FakeEngine | undefined;
let runner: ResultPromise | undefined;
afterEach(async () => {
  if (runner?.pid !== undefined && runner.exitCode === null) runner.kill('SIGKILL');
  await runner?.catch(() => {});
  await fake?.cleanup();
  fake = undefined;
  runner = undefined;
});

/** Start `kbuild-container run CONTAINER=korg-gcc ARGS...` in a tree, with the fake engine first on PATH. */
function startRunner(config: FakeEngineConfig, args: string[] = ['bzImage']) {
  fake = makeFakeEngine('podman', config);
  const tree = path.join(fake.root, 'tree');
  fs.mkdirSync(tree);
  const cache = path.join(fake.root, 'cache');
  runner = execa(process.execPath, [CLI, 'run', 'CONTAINER=korg-gcc', ...args], {
    cwd: tree,
    env: { PATH: `${fake.bin}:${process.env.PATH}`, XDG_CACHE_HOME: cache, MAKEFLAGS: '', CONTAINER_RUNTIME: undefined },
    stdin: 'ignore',
    reject: false,
    // The tests watch how the runner itself stops: no SIGKILL from execa after a slow stop.
    forceKillAfterDelay: false,
  });
  const records = path.join(cache, 'kbuild-container', 'runs');
  return {
    fake,
    runner,
    records,
    recordNames: () => (fs.existsSync(records) ? fs.readdirSync(records) : []),
    started: () => waitFor(() => fs.existsSync(path.join(fake!.root, 'log', 'started')), 5000),
  };
}

const containerName = (fake: FakeEngine) =>
  fake
    .calls()[0]
    .find((a) => a.startsWith('--name='))!
    .slice('--name='.length);

describe('kbuild-container run', () => {
  it.each([0, 2])("exits with the build's status %d", async (code) => {
    const { runner, fake, recordNames } = startRunner({ FAKE_EXIT: code, FAKE_POST_STDERR: 'CC init/main.o' });
    const result = await runner;
    expect(result.exitCode).toBe(code);
    expect(result.stderr).toBe('  PODMAN  korg-gcc\nCC init/main.o');
    expect(fake.calls()).toHaveLength(1);
    expect(fake.calls()[0].slice(-2)).toEqual(['make', 'bzImage']);
    expect(recordNames()).toEqual([]);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it("a missing image is one line of explanation and exit 2, not the engine's text", async () => {
    const { runner } = startRunner({ FAKE_PRE_STDERR: 'Error: korg-gcc: image not known', FAKE_EXIT_BEFORE_START: 125 });
    const result = await runner;
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).split('\n')).toEqual([
      '  PODMAN  korg-gcc',
      "kbuild-container: image 'korg-gcc' not found in podman's local store; build it (podman build -t korg-gcc ...) or pull it (podman pull korg-gcc)",
    ]);
  });

  it('an engine failure it does not recognise: the message, then the pasteable command, the status and a hint', async () => {
    const { runner, fake } = startRunner({ FAKE_PRE_STDERR: 'Error: crun: exploded', FAKE_EXIT_BEFORE_START: 125 });
    const result = await runner;
    expect(result.exitCode).toBe(2);
    // The command spans lines: the wrapper script is one quoted word with newlines in it.
    const shape =
      /^ {2}PODMAN {2}korg-gcc\nkbuild-container: podman failed \(exit 125\): Error: crun: exploded\n {2}command: (\S+\/bin\/podman run --rm [\s\S]*)\n {2}exit status: 125\n {2}hint: run the command above to see all the engine printed$/;
    expect(String(result.stderr)).toMatch(shape);
    // Pasted into sh, the command is the very argv the engine got.
    const pasted = shape.exec(String(result.stderr))![1];
    await execa('sh', ['-c', pasted], { reject: false });
    const calls = fake.calls();
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(calls[0]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
    ['SIGHUP', 129],
  ] as const)('%s: the client is asked to stop, the runner exits %d, nothing is force-removed', async (signal, code) => {
    const { runner, fake, started, recordNames } = startRunner({ FAKE_SLEEP_TENTHS: 100 });
    expect(await started()).toBe(true);
    runner.kill(signal);
    const result = await runner;
    expect([result.exitCode, result.signal, result.stderr]).toEqual([code, undefined, '  PODMAN  korg-gcc']);
    expect(fake.signals()).toEqual(['TERM']);
    expect(fake.removals()).toEqual([]);
    expect(recordNames()).toEqual([]);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it('SIGTERM to a build that does not stop: the container is removed after the grace period', async () => {
    const { runner, fake, started, recordNames } = startRunner({ FAKE_SLEEP_TENTHS: 100, FAKE_IGNORE_TERM: 1 });
    expect(await started()).toBe(true);
    const sent = Date.now();
    runner.kill('SIGTERM');
    const result = await runner;
    expect(result.exitCode).toBe(143);
    expect(Date.now() - sent).toBeLessThan(5000);
    expect(fake.signals()).toEqual(['TERM']);
    expect(fake.removals()).toEqual([['rm', '--force', '--time=0', containerName(fake)]]);
    expect(recordNames()).toEqual([]);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it('a second signal while the build stops is not forwarded again: the first decides', async () => {
    const { runner, fake, started, recordNames } = startRunner({ FAKE_SLEEP_TENTHS: 100, FAKE_IGNORE_TERM: 1 });
    expect(await started()).toBe(true);
    runner.kill('SIGTERM');
    expect(await waitFor(() => fake.signals().length > 0)).toBe(true);
    runner.kill('SIGINT');
    runner.kill('SIGHUP');
    const result = await runner;
    expect(result.exitCode).toBe(143);
    expect(fake.signals()).toEqual(['TERM']);
    expect(fake.removals()).toEqual([['rm', '--force', '--time=0', containerName(fake)]]);
    expect(recordNames()).toEqual([]);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it('a signal before the container announced itself: the watcher removes it once the runner is gone', async () => {
    const { runner, fake, recordNames } = startRunner({ FAKE_TENTHS_BEFORE_START: 50 });
    const log = path.join(fake.root, 'log');
    // The engine client runs (its pid is written) but has printed no start marker.
    expect(await waitFor(() => fs.existsSync(path.join(log, 'run.pid')))).toBe(true);
    runner.kill('SIGTERM');
    const result = await runner;
    expect([result.exitCode, result.signal, result.stderr]).toEqual([143, undefined, '  PODMAN  korg-gcc']);
    expect(fs.existsSync(path.join(log, 'started'))).toBe(false);
    // The engine may still create the container after the client is gone: the watcher removes it.
    expect(await waitFor(() => fake.removals().length > 0, 5000)).toBe(true);
    expect(fake.removals()).toEqual([['rm', '--force', '--time=0', containerName(fake)]]);
    expect(await waitFor(() => recordNames().length === 0, 2000)).toBe(true);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it('SIGKILL of the runner: the lifeline removes the container within 5 s and forgets the run', async () => {
    const { runner, fake, started, recordNames } = startRunner({ FAKE_SLEEP_TENTHS: 200 });
    expect(await started()).toBe(true);
    const name = containerName(fake);
    expect(recordNames()).toEqual([name]);
    runner.kill('SIGKILL');
    expect((await runner).signal).toBe('SIGKILL');
    expect(await waitFor(() => fake.removals().length > 0, 5000)).toBe(true);
    expect(fake.removals()).toEqual([['rm', '--force', '--time=0', name]]);
    expect(await waitFor(() => recordNames().length === 0, 2000)).toBe(true);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it('the next start removes a container whose runner died, with one line', async () => {
    const dead = spawnSync('true').pid!;
    fake = makeFakeEngine('podman');
    const records = path.join(fake.root, 'cache', 'kbuild-container', 'runs');
    fs.mkdirSync(records, { recursive: true });
    const removeArgs = ['rm', '--force', '--time=0', 'kbuild-old'];
    fs.writeFileSync(path.join(records, 'kbuild-old'), JSON.stringify({ name: 'kbuild-old', enginePath: fake.file, removeArgs, runnerPid: dead }));
    const tree = path.join(fake.root, 'tree');
    fs.mkdirSync(tree);
    const result = await execa(process.execPath, [CLI, 'run', 'CONTAINER=korg-gcc', '-s'], {
      cwd: tree,
      env: { PATH: `${fake.bin}:${process.env.PATH}`, XDG_CACHE_HOME: path.join(fake.root, 'cache'), MAKEFLAGS: '', CONTAINER_RUNTIME: undefined },
      stdin: 'ignore',
      reject: false,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('kbuild-container: removed container kbuild-old left behind by an earlier run');
    expect(fake.removals()).toEqual([removeArgs]);
    expect(fs.readdirSync(records)).toEqual([]);
  });
});

describe('the command line', () => {
  const cli = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) =>
    execa(process.execPath, [CLI, ...args], { reject: false, ...options, env: { ...options.env, MAKEFLAGS: '' } });

  it.each([['--version'], ['-V']])('%s prints the package version', async (flag) => {
    const r = await cli([flag]);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, VERSION, '']);
  });

  it.each([
    [
      '--help',
      /^Usage: kbuild-container COMMAND \[ARGS\]\n[\s\S]*\n {2}run \[make-args\.\.\.\] [\s\S]*\n {2}enable \[kernel-dir\] [\s\S]*Variables: CONTAINER,/,
    ],
    ['run --help', /^Usage: kbuild-container run \[options\] \[make-args\.\.\.\]\n/],
    ['help plan', /^Usage: kbuild-container plan \[options\] \[make-args\.\.\.\]\n/],
    ['enable --help', /^Usage: kbuild-container enable \[options\] \[kernel-dir\]\n/],
    ['make --help', /^Usage: kbuild-container make \[options\]\n/],
  ])('%s: usage on stdout, status 0', async (words, usage) => {
    const r = await cli(words.split(' '));
    expect([r.exitCode, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(usage);
  });

  it.each([
    [[], 'kbuild-container: no command given (try --help)'],
    [['frobnicate'], "kbuild-container: unknown command 'frobnicate' (try --help)"],
    [['enable', 'a', 'b'], "kbuild-container: too many arguments for 'enable'. Expected 1 argument but got 2. (try --help)"],
  ])('%j: one line, status 2', async (args, line) => {
    const r = await cli(args);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([2, '', line]);
  });

  it("run and plan pass make's own options through: -j, -C, -k, --no-print-directory", async () => {
    const dir = fs.mkdtempSync(path.join(BUILD, 'plan-'));
    const r = await cli(['plan', 'CONTAINER=korg-gcc', '-k', '-j3', '-C', dir, '--no-print-directory', 'V=1', 'bzImage'], {
      env: { PATH: process.env.PATH!, CONTAINER_RUNTIME: 'sh' },
    });
    // CONTAINER_RUNTIME=sh is refused after parsing: what matters is that commander did not object first.
    expect(r.stderr).toBe("kbuild-container: CONTAINER_RUNTIME='sh' is not supported; use one of: podman, docker");
  });

  it('`make` runs without the commands file: the argument parser is not on its path', async () => {
    const alone = fs.mkdtempSync(path.join(BUILD, 'alone-'));
    fs.copyFileSync(CLI, path.join(alone, 'kbuild-container.cjs'));
    const env = { CONTAINER: 'korg-gcc', CONTAINER_DRYRUN: '1', CONTAINER_RUNTIME: 'podman', KBUILD_CONTAINER_GOALS: 'bzImage', PATH: process.env.PATH! };
    fake = makeFakeEngine('podman');
    const tree = fs.mkdtempSync(path.join(BUILD, 'tree-'));
    const made = await execa(process.execPath, [path.join(alone, 'kbuild-container.cjs'), 'make'], {
      cwd: tree,
      env: { ...env, PATH: `${fake.bin}:${env.PATH}`, MAKEFLAGS: '' },
      reject: false,
    });
    expect([made.exitCode, made.stderr]).toEqual([0, '']);
    expect(made.stdout).toMatch(/\/bin\/podman run --rm [\s\S]* make bzImage$/);
    const help = await execa(process.execPath, [path.join(alone, 'kbuild-container.cjs'), '--help'], { reject: false });
    expect(help.exitCode).toBe(2);
    expect(help.stderr).toMatch(/kbuild-container-commands\.cjs/);
  });
});

describe('the bundled runner as installed', () => {
  it('runs through a symlink on PATH, by its #! line, and finds make/Makefile.container beside dist/', async () => {
    const root = fs.mkdtempSync(path.join(BUILD, 'installed-'));
    const bin = path.join(root, 'bin');
    fs.mkdirSync(bin);
    fs.chmodSync(CLI, 0o755);
    fs.symlinkSync(CLI, path.join(bin, 'kbuild-container')); // what npm install -g makes
    const tree = path.join(root, 'linux');
    fs.mkdirSync(tree);
    fs.writeFileSync(path.join(tree, 'Makefile'), 'all:\n');
    fs.writeFileSync(path.join(tree, 'Kbuild'), '');
    const result = await execa('kbuild-container', ['enable', tree], { env: { PATH: `${bin}:${process.env.PATH}` }, reject: false });
    expect(result.stderr).toBe(`kbuild-container: wrote ${path.join(tree, 'GNUmakefile')}`);
    expect(result.exitCode).toBe(0);
    // Resolved from the bundle's real location (through the symlink), not from bin/.
    expect(fs.readFileSync(path.join(tree, 'GNUmakefile'), 'utf8')).toContain(`include ${path.join(BUILD, 'make', 'Makefile.container')}\n`);
  });
});
