// invocationFromMake against what real GNU make hands the runner through
// make/Makefile.container (enabled by a GNUmakefile), with a recorder as runner.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enableTree } from '../../../src/enable.js';
import { invocationFromArgs, invocationFromMake } from '../../../src/parse/invocation-from.js';

const o = (name: string, value: string, op = '=') => ({ name, value, op });

describe('invocationFromMake with make and Makefile.container', () => {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-run-'));
  fs.writeFileSync(path.join(tree, 'Makefile'), 'all:\n\t@echo native\n');
  fs.writeFileSync(path.join(tree, 'Kbuild'), '');
  enableTree(tree);
  const out = path.join(tree, 'recorded');
  const recorder = path.join(tree, 'record-runner');
  fs.writeFileSync(recorder, `#!/bin/sh\nprintf '%s\\0' "$*" "$MAKEFLAGS" "$KBUILD_CONTAINER_MAKEFLAGS" "$KBUILD_CONTAINER_GOALS" >> '${out}'\n`);
  fs.chmodSync(recorder, 0o755);
  afterAll(() => fs.rmSync(tree, { recursive: true, force: true }));

  /** Run `make ARGS` in the tree; return each runner call as [argv, env] and the invocation of the last. */
  function make(args: string[]) {
    fs.rmSync(out, { force: true });
    execFileSync('make', args, { cwd: tree, stdio: 'ignore', env: { ...process.env, MAKEFLAGS: '', KBUILD_CONTAINER_RUNNER: recorder } });
    const fields = fs.readFileSync(out, 'utf8').split('\0').slice(0, -1);
    const calls = [];
    for (let i = 0; i < fields.length; i += 4) calls.push(fields.slice(i, i + 4));
    const [argv, MAKEFLAGS, KBUILD_CONTAINER_MAKEFLAGS, KBUILD_CONTAINER_GOALS] = calls.at(-1)!;
    return { calls, argv, invocation: invocationFromMake({ MAKEFLAGS, KBUILD_CONTAINER_MAKEFLAGS, KBUILD_CONTAINER_GOALS }, tree) };
  }

  it('runs the runner once for all goals, in order, with `make` as its command', () => {
    const { calls, argv, invocation } = make(['CONTAINER=korg-gcc', 'clean', 'bzImage', 'modules']);
    expect(calls).toHaveLength(1);
    expect(argv).toBe('make');
    expect(invocation.goals).toEqual(['clean', 'bzImage', 'modules']);
  });

  it.each([
    [['-k', '-j3'], ['-k'], { kind: 'count', count: 3 }, false],
    [['-j'], [], { kind: 'unlimited' }, false],
    [[], [], { kind: 'default' }, false],
    [['-s'], ['-s'], { kind: 'default' }, true],
    [['-k', '-s', '-B'], ['-Bks'], { kind: 'default' }, true],
    // The outer make already printed the directory lines -w asks for.
    [['-w'], [], { kind: 'default' }, false],
    [['--no-print-directory'], ['--no-print-directory'], { kind: 'default' }, false],
    [['--debug=b', '-l3', '-Otarget'], ['-l3', '-Otarget', '--debug=b'], { kind: 'default' }, false],
    [['-I/abs/include'], ['-I/abs/include'], { kind: 'default' }, false],
  ])('make %j → flags %j, jobs %j, silent %s', (options, flags, jobs, silent) => {
    const { invocation } = make(['CONTAINER=korg-gcc', ...options, 'bzImage']);
    expect(invocation).toMatchObject({ flags, jobs, silent, goals: ['bzImage'] });
  });

  it('command-line variables arrive as typed, in order, without ours', () => {
    const { invocation } = make(['CONTAINER=korg-gcc', 'V=1', "KCFLAGS=-O2 -DFOO='a b' $$x \\", 'O=out', 'CONTAINER_NETWORK=host', 'bzImage']);
    expect(invocation.overrides).toEqual([o('V', '1'), o('KCFLAGS', "-O2 -DFOO='a b' $$x \\"), o('O', 'out')]);
    expect(invocation.outputDir).toBe(path.join(tree, 'out'));
    expect(invocation.container).toMatchObject({ image: 'korg-gcc', network: 'host' });
  });
});

describe('invocationFromArgs', () => {
  it('a MAKEFLAGS in the environment applies as it would to make: its flags and variables first', () => {
    const inv = invocationFromArgs(['CONTAINER=korg-gcc', '-j4', 'V=1', 'bzImage'], { MAKEFLAGS: 'k -j2 -- W=1' }, '/src/linux');
    expect(inv).toMatchObject({
      flags: ['-k'],
      jobs: { kind: 'count', count: 4 },
      overrides: [o('W', '1'), o('V', '1')],
      goals: ['bzImage'],
      cwd: '/src/linux',
    });
  });

  it('-j from MAKEFLAGS applies when the arguments have none', () => {
    expect(invocationFromArgs(['CONTAINER=korg-gcc'], { MAKEFLAGS: ' -j6' }, '/src/linux').jobs).toEqual({ kind: 'count', count: 6 });
  });
});
