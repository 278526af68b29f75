// The in-container wrapper (WRAPPER_SCRIPT) under a real sh with a fake build:
// what the build gets on a signal, what a second signal does, what it exits with.
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

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s: every process of the build gets TERM once, at once; the status is the build\'s', async (signal) => {
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
