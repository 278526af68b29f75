import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { InfraError, UserError } from '../../../src/errors.js';
import { buildInvocation } from '../../../src/parse/invocation.js';
import { parseAssignment, type Jobserver } from '../../../src/parse/makeflags.js';
import { ENGINES } from '../../../src/plan/engines/index.js';
import { planRun } from '../../../src/plan/plan-run.js';
import { StartGate, signalStatus, superviseRun } from '../../../src/supervise/supervise-run.js';
import { makeFakeEngine, survivorsAfter, type FakeEngine, type FakeEngineConfig } from '../helpers/fake-engine.js';

let fake: FakeEngine | undefined;
afterEach(async () => {
  await fake?.cleanup();
  fake = undefined;
});

interface RunOptions {
  engineName?: 'podman' | 'docker';
  jobserver?: Jobserver;
  /** Set up the run-record directory before the run starts. */
  prepare?: (fake: FakeEngine, records: string) => void;
}

/** Plan `make -j2 bzImage` against a fake engine and supervise it, capturing our stderr. */
async function run(config: FakeEngineConfig, { engineName = 'podman', jobserver, prepare }: RunOptions = {}) {
  fake = makeFakeEngine(engineName, config);
  const records = path.join(fake.root, 'runs');
  prepare?.(fake, records);
  const invocation = buildInvocation({
    cwd: fake.root,
    goals: ['bzImage'],
    flags: [],
    jobs: { kind: 'count', count: 2 },
    jobserver,
    overrides: [parseAssignment('CONTAINER=korg-gcc')!],
    silent: false,
    env: {},
  });
  const engine = ENGINES[engineName];
  // stdin a terminal, stdout not: the client gets no stdin and the test runner's is left alone.
  const host = { uid: 1000, gid: 1000, username: 'kb', hostname: 'h', stdinIsTTY: true, stdoutIsTTY: false };
  const plan = planRun({ invocation, engine, enginePath: fake.file, host, tree: { srctree: fake.root }, runId: 't1' });
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString()));
  const outcome = await superviseRun(plan, engine, 'korg-gcc', { stderr, recordDirectory: records }).then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined, error }),
  );
  return { ...outcome, stderr: () => text, records: () => (fs.existsSync(records) ? fs.readdirSync(records).sort() : []), plan };
}

/** Leave a run record as a runner that has died (or, with `runnerPid`, one still alive) would have. */
function leaveRecord(records: string, fake: FakeEngine, name: string, runnerPid = spawnSync('true').pid!): string[] {
  const removeArgs = ['rm', '--force', '--time=0', name];
  fs.mkdirSync(records, { recursive: true });
  fs.writeFileSync(path.join(records, name), JSON.stringify({ name, enginePath: fake.file, removeArgs, runnerPid }));
  return removeArgs;
}

describe('superviseRun with a fake engine', () => {
  it.each([0, 1, 2, 77])('passes exit status %d through', async (code) => {
    const r = await run({ FAKE_EXIT: code });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({ exitCode: code });
    expect(fake!.calls()).toEqual([[...r.plan.args]]);
    expect(r.records()).toEqual([]);
    expect(await survivorsAfter(fake!)).toEqual([]);
  });

  it.each([
    ['USR1', 138],
    ['SEGV', 139],
    ['KILL', 137],
  ])('a client ended by SIG%s exits %d (128+N)', async (signal, code) => {
    const r = await run({ FAKE_KILL_SELF: signal });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({ exitCode: code });
    expect(await survivorsAfter(fake!)).toEqual([]);
  });

  it('hides the start marker and passes the engine text around it through', async () => {
    const r = await run({ FAKE_PRE_STDERR: 'WARN[0000] some engine warning', FAKE_POST_STDERR: 'make: *** [Makefile:1] Error 2', FAKE_EXIT: 2 });
    expect(r.result).toEqual({ exitCode: 2 });
    expect(r.stderr()).toBe('WARN[0000] some engine warning\nmake: *** [Makefile:1] Error 2\n');
  });

  it('explains "image not known" (exit 125 before the start) in one line, holding back the engine text', async () => {
    const r = await run({ FAKE_PRE_STDERR: 'Error: korg-gcc: image not known', FAKE_EXIT_BEFORE_START: 125 });
    expect(r.error).toBeInstanceOf(UserError);
    const { message, hint } = r.error as UserError;
    expect(`${message}; ${hint}`).toBe(
      "image 'korg-gcc' not found in podman's local store; build it (podman build -t korg-gcc ...) or pull it (podman pull korg-gcc)",
    );
    expect(r.stderr()).toBe('');
    expect(r.records()).toEqual([]);
    expect(fake!.removals()).toEqual([]);
  });

  it('explains docker\'s "Unable to find image" the same way', async () => {
    const r = await run({ FAKE_PRE_STDERR: "Unable to find image 'korg-gcc:latest' locally", FAKE_EXIT_BEFORE_START: 125 }, { engineName: 'docker' });
    expect(r.error).toBeInstanceOf(UserError);
    expect((r.error as Error).message).toMatch(/^image 'korg-gcc' not found in docker's local store/);
    expect(r.stderr()).toBe('');
  });

  it('an engine failure it does not recognise is an infrastructure error carrying the last line and the status', async () => {
    const r = await run({ FAKE_PRE_STDERR: 'Error: something\nError: crun: exploded', FAKE_EXIT_BEFORE_START: 125 });
    expect(r.error).toBeInstanceOf(InfraError);
    expect(r.error).toMatchObject({ message: 'podman failed (exit 125): Error: crun: exploded', exitCode: 125, command: [fake!.file, ...r.plan.args] });
    expect((r.error as InfraError).hint).toBeTruthy();
    expect(r.stderr()).toBe('');
  });

  it('an engine client killed before the container started is an infrastructure error naming the signal', async () => {
    const r = await run({ FAKE_PRE_STDERR: 'Error: about to crash', FAKE_KILL_BEFORE_START: 'SEGV' });
    expect(r.error).toBeInstanceOf(InfraError);
    expect(r.error).toMatchObject({
      message: 'podman was killed by SIGSEGV before the container started: Error: about to crash',
      signal: 'SIGSEGV',
      command: [fake!.file, ...r.plan.args],
    });
    expect(r.records()).toEqual([]);
    expect(await survivorsAfter(fake!)).toEqual([]);
  });

  it("exit 125 after the container started is the build's own status", async () => {
    const r = await run({ FAKE_POST_STDERR: 'image not known', FAKE_EXIT: 125 });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({ exitCode: 125 });
    expect(r.stderr()).toBe('image not known\n');
  });

  it("a failure before the start that is not the engine's is shown as it was", async () => {
    const r = await run({ FAKE_PRE_STDERR: 'something odd', FAKE_EXIT_BEFORE_START: 1 });
    expect(r.result).toEqual({ exitCode: 1 });
    expect(r.stderr()).toBe('something odd\n');
  });

  it('hands a jobserver pipe to the client as descriptors 3 and 4', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-fds-'));
    const [readEnd, writeEnd] = [path.join(dir, 'read-end'), path.join(dir, 'write-end')];
    const fds = [fs.openSync(readEnd, 'w'), fs.openSync(writeEnd, 'w')];
    try {
      const r = await run({ FAKE_RECORD_FDS: 1 }, { jobserver: { style: 'pipe', readFd: fds[0], writeFd: fds[1] } });
      expect(r.result).toEqual({ exitCode: 0 });
      expect(r.plan.args).toContain('--preserve-fds=2');
      expect(fs.readFileSync(path.join(fake!.root, 'log', 'fds'), 'utf8')).toBe(`${readEnd}\n${writeEnd}\n`);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hands the client nothing beyond stdio without a parent pool', async () => {
    const r = await run({ FAKE_RECORD_FDS: 1 });
    expect(r.result).toEqual({ exitCode: 0 });
    expect(fs.readFileSync(path.join(fake!.root, 'log', 'fds'), 'utf8')).toBe('closed\nclosed\n');
  });

  it("removes the container a dead runner left behind, once, with one line; a live runner's is left alone", async () => {
    let removeArgs: string[] = [];
    const r = await run(
      {},
      {
        prepare: (fake, records) => {
          removeArgs = leaveRecord(records, fake, 'kbuild-old');
          leaveRecord(records, fake, 'kbuild-live', process.pid);
        },
      },
    );
    expect(r.result).toEqual({ exitCode: 0 });
    expect(r.stderr()).toBe('kbuild-container: removed container kbuild-old left behind by an earlier run\n');
    expect(fake!.removals()).toEqual([removeArgs]);
    expect(r.records()).toEqual(['kbuild-live']);
  });

  it('keeps the record of a stale container the engine could not remove, and says nothing', async () => {
    const r = await run(
      { FAKE_RM_EXIT: 125, FAKE_RM_STDERR: 'Error: cannot connect to Podman' },
      { prepare: (fake, records) => leaveRecord(records, fake, 'kbuild-old') },
    );
    expect(r.result).toEqual({ exitCode: 0 });
    expect(r.stderr()).toBe('');
    expect(fake!.removals()).toHaveLength(1);
    expect(r.records()).toEqual(['kbuild-old']);
  });
});

describe('signalStatus', () => {
  it.each([
    ['SIGHUP', 129],
    ['SIGINT', 130],
    ['SIGQUIT', 131],
    ['SIGABRT', 134],
    ['SIGKILL', 137],
    ['SIGUSR1', 138],
    ['SIGSEGV', 139],
    ['SIGPIPE', 141],
    ['SIGALRM', 142],
    ['SIGTERM', 143],
    ['SIGXCPU', 152],
    ['SIGWINCH', 156],
  ] as const)('%s → %d', (signal, status) => {
    expect(signalStatus(signal)).toBe(status);
  });

  it('no signal is 128, not a made-up number', () => {
    expect(signalStatus(null)).toBe(128);
  });
});

describe('StartGate', () => {
  const M = 'kbuild-container-started-x';

  it.each([
    ['marker alone', [`${M}\n`], '', true],
    ['text before and after', [`warn\n${M}\nbuild\n`], 'warn\nbuild\n', true],
    ['marker split across chunks', ['warn\nkbuild-cont', `ainer-started-x`, '\nbuild\n'], 'warn\nbuild\n', true],
    ['after the start, bytes pass as they come', [`${M}\n`, 'a', `${M}\n`], `a${M}\n`, true],
    ['no marker: held back', ['Error: image not known\n'], '', false],
    ['marker without its newline is not the marker', [M], '', false],
    ['a longer line that starts with the marker is not it', [`${M}0\n`], '', false],
  ])('%s', (_what, chunks, passed, started) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const gate = new StartGate(M, out);
    for (const c of chunks) gate.push(Buffer.from(c));
    expect(text).toBe(passed);
    expect(gate.started).toBe(started);
    if (!started) expect(gate.buffered()).toBe(chunks.join(''));
  });
});
