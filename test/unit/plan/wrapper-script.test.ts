// The in-container wrapper (WRAPPER_SCRIPT) under a real sh with a fake build:
// what the build gets on a signal, what a second signal does, what it exits with.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/fake-engine.js';
import { runWrapper, type WrapperRun } from '../helpers/wrapper-sh.js';

let run: WrapperRun | undefined;
afterEach(async () => {
  run?.process.kill('SIGKILL');
  await run?.process;
  run?.cleanup();
  run = undefined;
});

describe('the wrapper script under sh', () => {
  it('announces the start on stderr, hands stdin to the build and exits with its status', async () => {
    run = runWrapper({ env: { FAKE_BUILD_TENTHS: '1', FAKE_BUILD_EXIT: '3', FAKE_BUILD_STDIN: '1' }, input: 'piped\n' });
    const result = await run.process;
    expect(result.exitCode).toBe(3);
    expect(result.all).toBe('kbuild-container-started-t');
    expect(run.stdinSeen()).toBe('piped\n');
    expect(run.signals()).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)("%s: every process of the build gets TERM once, at once; the status is the build's", async (signal) => {
    run = runWrapper();
    expect(await run.started()).toBe(true);
    const pid = await run.wrapperPid();
    expect(pid).toBeDefined();
    process.kill(pid!, signal);
    const result = await run.process;
    // A background job of a non-interactive shell ignores INT: only TERM reaches make and the compiler.
    expect(run.signals().sort()).toEqual(['cc TERM', 'make TERM']);
    expect(result.exitCode).toBe(143);
  });

  describe("the tree's Makefile must be visible inside", () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-wrapper-tree-'));
    fs.writeFileSync(path.join(tree, 'Makefile'), 'all:\n');

    it('visible: the build runs', async () => {
      run = runWrapper({ args: ['kbuild-container-started-t', '', path.join(tree, 'Makefile')], env: { FAKE_BUILD_TENTHS: '1', FAKE_BUILD_EXIT: '0' } });
      const result = await run.process;
      expect(result.exitCode).toBe(0);
      expect(result.all).toBe('kbuild-container-started-t');
      expect(fs.existsSync(path.join(run.dir, 'log.started'))).toBe(true);
    });

    it('not visible (an empty mount, as rootless Podman shows a tree mounted after it started): one line naming the fix, exit 2, no build', async () => {
      const missing = path.join(tree, 'empty-mount', 'Makefile');
      run = runWrapper({ args: ['kbuild-container-started-t', '', missing], env: { FAKE_BUILD_TENTHS: '1' } });
      const result = await run.process;
      expect(result.exitCode).toBe(2);
      expect(String(result.all).split('\n')).toEqual([
        'kbuild-container-started-t',
        `kbuild-container: ${missing} exists on the host but not inside the container: the tree was mounted after the engine's namespace started (rootless Podman, a host / that is not a shared mount); run 'podman system migrate' and build again`,
      ]);
      expect(fs.existsSync(path.join(run.dir, 'log.started'))).toBe(false);
    });
  });

  it('the first signal decides: a second one while make winds down is not passed on again', async () => {
    run = runWrapper();
    expect(await run.started()).toBe(true);
    const pid = (await run.wrapperPid())!;
    process.kill(pid, 'SIGTERM');
    expect(await waitFor(() => run!.signals().includes('make TERM'))).toBe(true);
    process.kill(pid, 'SIGINT');
    process.kill(pid, 'SIGTERM');
    const result = await run.process;
    expect(run.signals().sort()).toEqual(['cc TERM', 'make TERM']);
    expect(result.exitCode).toBe(143);
  });
});
