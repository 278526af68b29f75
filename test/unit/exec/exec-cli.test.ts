// `kbuild-container exec` as users start it (the bundled runner), against a
// fake engine on PATH: the command's status, the one-line errors, a signal
// (SIGKILL and the lifeline: the same supervision as `run`, test/unit/cli.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { usePrivateCli } from '../helpers/bundled-cli.js';
import { makeFakeEngine, survivorsAfter, waitFor, type FakeEngine, type FakeEngineConfig } from '../helpers/fake-engine.js';

const cli = usePrivateCli();
let fake: FakeEngine | undefined;
let runner: ResultPromise | undefined;
afterEach(async () => {
  // A runner a failed test left: killed, then the fake engine's processes and files.
  if (runner?.exitCode === null) runner.kill('SIGKILL');
  await runner?.catch(() => {});
  await fake?.cleanup();
  [fake, runner] = [undefined, undefined];
});

/** Start `kbuild-container exec WORDS` in a scratch directory with the fake engine first on PATH. */
function startExec(words: string[], config: FakeEngineConfig = {}, env: Record<string, string | undefined> = {}) {
  fake = makeFakeEngine('podman', config);
  const dir = path.join(fake.root, 'work');
  fs.mkdirSync(dir);
  const cache = path.join(fake.root, 'cache');
  runner = execa(process.execPath, [cli(), 'exec', ...words], {
    cwd: dir,
    env: { PATH: `${fake.bin}:${process.env.PATH}`, XDG_CACHE_HOME: cache, CONTAINER: undefined, CONTAINER_RUNTIME: undefined, ...env },
    stdin: 'ignore',
    reject: false,
    forceKillAfterDelay: false,
  });
  const records = path.join(cache, 'kbuild-container', 'runs');
  return { fake, runner, dir, recordNames: () => (fs.existsSync(records) ? fs.readdirSync(records) : []) };
}

describe('kbuild-container exec', () => {
  it.each([0, 7, 127])("exits with the command's status %d, prints nothing of its own, leaves nothing", async (code) => {
    const { runner, fake, dir, recordNames } = startExec(['korg-gcc:12', '--', 'make', '-C', 'x', '--', 'y'], {
      FAKE_EXIT: code,
      FAKE_POST_STDERR: 'from the command',
    });
    const result = await runner;
    expect([result.exitCode, result.stderr]).toEqual([code, 'from the command']);
    const [call] = fake.calls();
    expect(fake.calls()).toHaveLength(1);
    expect(call.slice(-7)).toEqual(['kbuild-container-exec', 'korg-gcc:12', 'make', '-C', 'x', '--', 'y']);
    expect(call).toContain(`--workdir=${dir}`);
    expect(recordNames()).toEqual([]);
    expect(await survivorsAfter(fake)).toEqual([]);
  });

  it('takes the image from CONTAINER when none is typed', async () => {
    const { runner, fake } = startExec(['--', 'true'], {}, { CONTAINER: 'korg-clang' });
    expect((await runner).exitCode).toBe(0);
    expect(fake.calls()[0].slice(-3)).toEqual(['kbuild-container-exec', 'korg-clang', 'true']);
  });

  it('KBUILD_VERBOSE=1: the banner and the pasteable engine command first; CONTAINER_DRYRUN=1: only the command, nothing run', async () => {
    const verbose = await startExec(['korg-gcc:12', '--', 'true'], {}, { KBUILD_VERBOSE: '1' }).runner;
    const [banner, command] = String(verbose.stderr).split('\n');
    expect([verbose.exitCode, banner]).toEqual([0, '  EXEC    korg-gcc:12 true']);
    expect(command).toMatch(/^\S+\/bin\/podman run --rm --init --name=kbuild-exec-\S+ .* korg-gcc:12 sh -c /);
    await fake?.cleanup();
    const dry = await startExec(['korg-gcc:12', '--', 'true'], {}, { CONTAINER_DRYRUN: '1' }).runner;
    expect([dry.exitCode, dry.stderr]).toEqual([0, '']);
    expect(String(dry.stdout)).toMatch(/^\S+\/bin\/podman run --rm --init [\s\S]* kbuild-container-exec korg-gcc:12 true$/);
    expect(fake?.calls()).toEqual([]);
  });

  it("a missing image is the build's one line and exit 2", async () => {
    const { runner } = startExec(['korg-gcc:12', '--', 'true'], { FAKE_PRE_STDERR: 'Error: korg-gcc:12: image not known', FAKE_EXIT_BEFORE_START: 125 });
    const result = await runner;
    expect([result.exitCode, result.stderr]).toEqual([
      2,
      "kbuild-container: image 'korg-gcc:12' not found in podman's local store; build it (podman build -t korg-gcc:12 ...) or pull it (podman pull korg-gcc:12)",
    ]);
  });

  it.each([
    [['korg-gcc'], {}, "kbuild-container: exec: put the command after '--' (kbuild-container exec [IMAGE] -- COMMAND [ARGS...])"],
    [['korg-gcc', '--'], {}, "kbuild-container: exec: no command after '--' (kbuild-container exec [IMAGE] -- COMMAND [ARGS...])"],
    [['--', 'ls'], {}, 'kbuild-container: exec: no image: name one (kbuild-container exec korg-gcc -- COMMAND) or set CONTAINER'],
    [
      ['Bad:Image', '--', 'ls'],
      {},
      "kbuild-container: CONTAINER='Bad:Image' is not a valid image reference (expected e.g. korg-gcc or registry.example/korg/gcc:14)",
    ],
    [['korg-gcc', '--', 'ls'], { CONTAINER_RUNTIME: 'lxc' }, "kbuild-container: CONTAINER_RUNTIME='lxc' is not supported; use one of: podman, docker"],
  ])('%j %j: one line, exit 2, no engine call', async (words, env, line) => {
    const { runner, fake } = startExec(words, {}, env);
    const result = await runner;
    expect([result.exitCode, result.stdout, result.stderr]).toEqual([2, '', line]);
    expect(fake.calls()).toEqual([]);
  });

  it("kunit.py's --build_dir: created by the caller before the run, mounted read-write", async () => {
    // Outside the tree (cwd), so not covered by its mount.
    const { runner, fake } = startExec(['korg-gcc:kunit', '--', 'tools/testing/kunit/kunit.py', 'run', '--build_dir', '../out/k']);
    expect((await runner).exitCode).toBe(0);
    const out = path.join(fake.root, 'out', 'k');
    expect([fs.statSync(out).isDirectory(), fs.statSync(out).uid]).toEqual([true, process.getuid!()]);
    expect(fake.calls()[0]).toContain(`--volume=${out}:${out}:rw`);
  });

  it("kunit.py's --build_dir naming a file: one line naming it, exit 2, no engine call", async () => {
    const { runner, fake } = startExec(['korg-gcc:kunit', '--', 'tools/testing/kunit/kunit.py', 'run', '--build_dir=../bin/podman']);
    const result = await runner;
    const file = path.join(fake.root, 'bin', 'podman');
    expect([result.exitCode, result.stdout, result.stderr]).toEqual([
      2,
      '',
      `kbuild-container: exec: --build_dir=../bin/podman: ${file} exists and is not a directory`,
    ]);
    expect(fake.calls()).toEqual([]);
  });

  it('SIGINT: forwarded as TERM, status 130, no container left', async () => {
    const { runner, fake } = startExec(['korg-gcc:12', '--', 'sleep', '600'], { FAKE_SLEEP_TENTHS: 200 });
    expect(await waitFor(() => fs.existsSync(path.join(fake.root, 'log', 'started')), 5000)).toBe(true);
    runner.kill('SIGINT');
    expect((await runner).exitCode).toBe(130);
    expect(fake.signals()).toEqual(['TERM']);
    expect(await survivorsAfter(fake)).toEqual([]);
  });
});
