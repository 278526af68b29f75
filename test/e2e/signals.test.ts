// Issue 3: Ctrl-C stops everything, nothing is left running. Real builds on
// rootful Podman, rootless Podman and Docker are interrupted while a compiler
// runs, in every way a build can be stopped, and the time until nothing of the
// build is left (no container, no host process) is measured against the
// issue's limits: 1 s for SIGINT/SIGTERM/SIGHUP, 5 s for SIGKILL.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINE_KINDS,
  RUN_LABEL,
  asUser,
  buildProcesses,
  callerIds,
  containersOfRun,
  descendantsOf,
  filesNotOwnedBy,
  hostProcesses,
  kernelTree,
  recipeSays,
  runIdOf,
  runMake,
  runtimeOf,
  scratchDir,
  startMake,
  stopRunningMakes,
  waitFor,
  type EngineKind,
  type HostProcess,
  type MakeHandle,
  QUICK_CONFIG,
} from './support.js';

// A test that timed out or failed half-way must not leave its build running.
afterEach(stopRunningMakes, 30_000);

const TREE = kernelTree('6.1');
const IMAGE = 'korg-gcc:12';
const POLL_MS = 20;

interface Scenario {
  name: string;
  signal: NodeJS.Signals;
  /** Who gets the signal: the whole process group (a terminal's Ctrl-C), the runner, or the outer make. */
  target: 'group' | 'runner' | 'make';
  /** The limit for the time to quiescence. */
  limitMs: number;
  /** What the outer make says about its recipe (the runner), if it lives to say it. */
  makeSays?: RegExp;
}

const TWO_BUILDS = 'SIGTERM to 1 of 2 runners';
// Large translation units every x86 allnoconfig or tinyconfig builds: ~5 s of work at -j2 on an idle 2-core machine.
const TWO_BUILDS_OBJECTS = ['kernel/sched/core.o', 'kernel/fork.o', 'kernel/signal.o', 'kernel/sys.o', 'mm/page_alloc.o', 'mm/memory.o'];
const SCENARIOS: Scenario[] = [
  { name: 'SIGINT to the group', signal: 'SIGINT', target: 'group', limitMs: 1000, makeSays: recipeSays('Error 130') },
  { name: 'SIGTERM to the runner', signal: 'SIGTERM', target: 'runner', limitMs: 1000, makeSays: recipeSays('Error 143') },
  { name: 'SIGTERM to the outer make', signal: 'SIGTERM', target: 'make', limitMs: 1000, makeSays: recipeSays('Error 143') },
  { name: 'SIGHUP to the runner', signal: 'SIGHUP', target: 'runner', limitMs: 1000, makeSays: recipeSays('Error 129') },
  { name: 'SIGKILL to the runner', signal: 'SIGKILL', target: 'runner', limitMs: 5000, makeSays: recipeSays('Killed') },
  { name: 'SIGKILL to the group', signal: 'SIGKILL', target: 'group', limitMs: 5000 },
];

/** One O= dir per engine, configured once; every interrupted build resumes in it. */
const outDirs = new Map<EngineKind, string>();
/** Measured figures, printed as a table at the end. */
const stopMs = new Map<string, number>();
const goneMs = new Map<string, number>();
const psCostMs = new Map<EngineKind, number[]>();
/** Every run id we started, to prove at the end that none left a container. */
const runIds: { kind: EngineKind; id: string }[] = [];
const scratch: string[] = [];

/** A build in progress, caught while a compiler of it runs. */
interface RunningBuild {
  handle: MakeHandle;
  runId: string;
  containerId: string;
  runner: HostProcess;
  outerMake: HostProcess;
  /** Host pids of the build's own processes (make, runner, engine client, lifeline) while it ran. */
  pids: Set<number>;
  compiler: HostProcess;
  /** The container-side pid (last NSpid field) of every make of the build inside the container. */
  innerMakeNsPids: number[];
  /** The name of the container's PID 1, found by walking up from an inner make. */
  pid1Name?: string;
}

/** A process's pid in its own (innermost) pid namespace. */
function nsPid(pid: number): number | undefined {
  try {
    const line = fs
      .readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('NSpid:'));
    return line ? Number(line.trim().split(/\s+/).pop()) : undefined;
  } catch {
    return undefined;
  }
}

/** Start `make -j2 bzImage` in `dir` and return once its container runs and one of its compilers does. */
async function startBuild(kind: EngineKind, dir: string, goals = ['bzImage'], compiling = /^ {2}CC\s/m): Promise<RunningBuild> {
  const handle = startMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${dir}`, '-j2', ...goals]);
  let found: RunningBuild | undefined;
  let exited = false;
  void handle.result.then(() => (exited = true));
  const waited = await waitFor(
    async () => {
      if (exited) return true;
      if (!compiling.test(handle.stdout())) return false;
      const procs = hostProcesses();
      const ours = descendantsOf(handle.pid, procs);
      const runId = runIdOf(ours);
      const runner = ours.find((p) => /kbuild-container make$/.test(p.cmd));
      const compiler = procs.find((p) => ['cc1', 'gcc', 'as'].includes(p.name) && (p.cwd === dir || p.cwd?.startsWith(dir + '/')));
      if (!runId || !runner || !compiler) return false;
      const [containerId] = await containersOfRun(kind, runId);
      if (!containerId) return false;
      const outerMake = procs.find((p) => p.pid === runner.ppid)!;
      const pids = new Set([handle.pid, ...ours.map((p) => p.pid)]);
      const innerMakes = buildProcesses(procs, { dirs: [dir] }).filter((p) => p.name === 'make' && !pids.has(p.pid));
      const innerMakeNsPids = innerMakes.map((p) => nsPid(p.pid)).filter((n): n is number => n !== undefined);
      let up = innerMakes[0];
      while (up && nsPid(up.pid) !== 1) up = procs.find((p) => p.pid === up!.ppid)!;
      found = { handle, runId, containerId, runner, outerMake, pids, compiler, innerMakeNsPids, pid1Name: up?.name };
      return true;
    },
    180_000,
    POLL_MS,
  );
  if (!found) {
    const r = exited ? await handle.result : undefined;
    throw new Error(
      `no compiler of the build seen (waited ${waited ?? 'too long'} ms, exit ${r?.exitCode}):\n${handle.stdout().slice(-2000)}\n${handle.stderr().slice(-2000)}`,
    );
  }
  runIds.push({ kind, id: found.runId });
  return found;
}

/**
 * Poll until no process of the build is left on the host and no container of
 * the run. Each step reads /proc directly (~5 ms, then POLL_MS of sleep);
 * once that finds nothing, `ENGINE ps -a` (0.05-0.2 s by itself, reported)
 * must show no container of the run, and a second read of /proc must confirm that no process
 * came back. Returns the time from `since` to the end of the container check
 * (an upper bound: the state then was quiet) and when /proc first showed no
 * process of the build (the build had stopped by then; its container was
 * being removed or gone).
 */
async function timeToQuiescence(kind: EngineKind, build: RunningBuild, dir: string, since: number, timeoutMs: number) {
  const words = [`kbuild-${build.runId}`, build.containerId];
  const scope = { pids: build.pids, dirs: [dir], words };
  let left: string[] = [];
  let processesGoneMs: number | undefined;
  // What was still there, each time that changed: the evidence when a limit is missed.
  const trace: string[] = [];
  let last = '';
  const note = (what: string[]) => {
    const now = what
      .map((w) => w.replace(/^\d+ /, ''))
      .sort()
      .join('; ');
    if (now !== last) trace.push(`${((performance.now() - since) / 1000).toFixed(2)}s: ${now || 'nothing'}`);
    last = now;
  };
  const describe = (procs: HostProcess[]) => procs.map((p) => `${p.pid} ${p.name}: ${p.cmd.slice(0, 100)}`);
  while (performance.now() - since < timeoutMs) {
    left = describe(buildProcesses(hostProcesses(), scope));
    if (left.length === 0) {
      processesGoneMs ??= performance.now() - since;
      const before = performance.now();
      const containers = await containersOfRun(kind, build.runId);
      const ms = performance.now() - since;
      const psMs = performance.now() - before;
      left = containers.map((c) => `container ${c.slice(0, 12)}`);
      if (left.length === 0) left = describe(buildProcesses(hostProcesses(), scope));
      if (left.length === 0) return { ms, processesGoneMs, psMs, left, trace };
    }
    if (left.some((l) => !l.startsWith('container '))) processesGoneMs = undefined;
    note(left);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { ms: undefined, processesGoneMs, psMs: 0, left, trace };
}

/** The pid to signal for a scenario (negative: the whole group). */
function targetPid(scenario: Scenario, build: RunningBuild): number {
  switch (scenario.target) {
    case 'group':
      return -build.handle.pid;
    case 'runner':
      return build.runner.pid;
    case 'make':
      return build.outerMake.pid;
  }
}

/** Each engine kind's storage driver: removing a container of a vfs store deletes a full copy of the image. */
const storageDriver = new Map<EngineKind, string>();

beforeAll(async () => {
  for (const kind of ENGINE_KINDS) {
    const format = runtimeOf(kind) === 'docker' ? '{{.Driver}}' : '{{.Store.GraphDriverName}}';
    const argv = asUser(kind, [runtimeOf(kind), 'info', '--format', format]);
    storageDriver.set(kind, String((await execa(argv[0], argv.slice(1), { reject: false })).stdout).trim());
  }
  // Configure one output directory per engine; the interrupted builds share it.
  for (const kind of ENGINE_KINDS) {
    const dir = scratchDir(kind, 'kbc-signals-');
    scratch.push(dir);
    outDirs.set(kind, dir);
    const r = await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${dir}`, QUICK_CONFIG]);
    expect(r.exitCode, r.stderr).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  const lines = [
    `time to quiescence in s, linux 6.1 ${QUICK_CONFIG} bzImage -j2, image ${IMAGE}: all gone (no container in ENGINE ps -a, no process)`,
    '[in brackets: when /proc first showed no process of the build; the difference is mostly the ENGINE ps -a that checks the container]',
  ];
  lines.push(['scenario'.padEnd(28), ...ENGINE_KINDS.map((k) => k.padStart(14))].join(' '));
  lines.push(['(storage driver)'.padEnd(28), ...ENGINE_KINDS.map((k) => (storageDriver.get(k) ?? '?').padStart(14))].join(' '));
  for (const s of [...SCENARIOS, { name: TWO_BUILDS }]) {
    const cells = ENGINE_KINDS.map((k) => {
      const ms = stopMs.get(`${s.name}|${k}`);
      const gone = goneMs.get(`${s.name}|${k}`);
      return (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} [${gone === undefined ? '?' : (gone / 1000).toFixed(2)}]`).padStart(14);
    });
    lines.push([s.name.padEnd(28), ...cells].join(' '));
  }
  const cost = ENGINE_KINDS.map((k) => {
    const xs = psCostMs.get(k) ?? [];
    return `${k} ${xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length / 1000).toFixed(2) : '-'} s`;
  });
  lines.push(`cost of the last 'ENGINE ps -a' in each poll (mean): ${cost.join(', ')}`);
  console.log(lines.join('\n'));

  // Nothing of ours may outlive the file, whatever failed above.
  const left: string[] = [];
  for (const { kind, id } of runIds) {
    for (const c of await containersOfRun(kind, id)) {
      left.push(`${kind} ${c.slice(0, 12)}`);
      const rm = asUser(kind, [runtimeOf(kind), 'rm', '--force', c]);
      await execa(rm[0], rm.slice(1), { reject: false });
    }
  }
  const stray = buildProcesses(hostProcesses(), { dirs: scratch }).map((p) => `${p.pid} ${p.cmd.slice(0, 100)}`);
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  expect(left, 'containers left behind').toEqual([]);
  expect(stray, 'processes left behind').toEqual([]);
}, 120_000);

describe.each(ENGINE_KINDS)('%s: stopping a build in progress', (kind) => {
  it.each(SCENARIOS)('$name: nothing left within the limit', async (scenario) => {
    const dir = outDirs.get(kind)!;
    const build = await startBuild(kind, dir);
    // The init, not make, is PID 1 in the container (make would not reap or get default signal actions).
    expect(build.innerMakeNsPids.length).toBeGreaterThan(0);
    expect(build.innerMakeNsPids).not.toContain(1);
    expect(build.pid1Name).toMatch(/^(catatonit|podman-init|docker-init|tini)$/);

    const since = performance.now();
    process.kill(targetPid(scenario, build), scenario.signal);
    const stop = await timeToQuiescence(kind, build, dir, since, 30_000);
    if (stop.ms !== undefined) {
      stopMs.set(`${scenario.name}|${kind}`, stop.ms);
      goneMs.set(`${scenario.name}|${kind}`, stop.processesGoneMs!);
      psCostMs.set(kind, [...(psCostMs.get(kind) ?? []), stop.psMs]);
    }
    const result = await build.handle.result;

    expect(stop.left, 'still running after 30 s').toEqual([]);
    const why = `${scenario.name} on ${kind} (${storageDriver.get(kind)} storage): ${stop.ms?.toFixed(0)} ms\n${stop.trace.join('\n')}`;
    expect(stop.ms, why).toBeLessThanOrEqual(scenario.limitMs);
    // The outer make fails: killed by the signal itself, or with its own status 2.
    expect(result.exitCode !== 0 || result.signal !== undefined, `outer make exit ${result.exitCode} ${result.signal}`).toBe(true);
    if (scenario.makeSays) expect(result.stderr).toMatch(scenario.makeSays);
    // Whatever was half-done, every file the build left is still the caller's.
    const { uid, gid } = callerIds(kind);
    expect(await filesNotOwnedBy(dir, uid, gid)).toEqual([]);
  });
});

describe('two builds at once (rootful podman)', () => {
  it('SIGTERM to one runner stops only that build; the other finishes', async () => {
    // B: a fresh directory, stopped as soon as it compiles (a host tool counts).
    const dirB = scratchDir('podman', 'kbc-signals-b-');
    scratch.push(dirB);
    const config = await runMake('podman', TREE, [`CONTAINER=${IMAGE}`, `O=${dirB}`, QUICK_CONFIG]);
    expect(config.exitCode, config.stderr).toBe(0);
    const b = await startBuild('podman', dirB, ['bzImage'], /^ {2}(?:HOST)?CC\s/m);

    // A: a few real objects in the directory the interrupted builds above
    // resumed in (deleted first, so A surely compiles them): enough to
    // outlast B's stop, small enough for CI.
    const dirA = outDirs.get('podman')!;
    for (const o of TWO_BUILDS_OBJECTS) fs.rmSync(path.join(dirA, o), { force: true });
    const a = await startBuild('podman', dirA, TWO_BUILDS_OBJECTS);
    expect(a.runId).not.toBe(b.runId);
    const inspect = async (id: string) =>
      (await execa('podman', ['inspect', '--format', '{{.State.Status}} {{.State.StartedAt}}', id], { reject: false })).stdout;
    const aBefore = await inspect(a.containerId);

    const since = performance.now();
    process.kill(b.runner.pid, 'SIGTERM');
    const stop = await timeToQuiescence('podman', b, dirB, since, 30_000);
    const aAfter = await inspect(a.containerId);
    expect(stop.left).toEqual([]);
    stopMs.set(`${TWO_BUILDS}|podman`, stop.ms!);
    goneMs.set(`${TWO_BUILDS}|podman`, stop.processesGoneMs!);
    expect(stop.ms, `${stop.ms?.toFixed(0)} ms\n${stop.trace.join('\n')}`).toBeLessThanOrEqual(1000);
    const bResult = await b.handle.result;
    expect(bResult.stderr).toMatch(recipeSays('Error 143'));

    // A's container is the same one, still running, started at the same time.
    expect(aBefore).toMatch(/^running /);
    expect(aAfter).toBe(aBefore);
    const aResult = await a.handle.result;
    expect(aResult.exitCode, aResult.stderr.slice(-3000)).toBe(0);
    for (const o of TWO_BUILDS_OBJECTS) expect(fs.statSync(path.join(dirA, o)).size, o).toBeGreaterThan(0);
    expect(await containersOfRun('podman', a.runId)).toEqual([]);
  }, 900_000);
});

describe('rootful podman: run records', () => {
  it('removes the container of a run recorded by a dead runner, and says so once', async () => {
    const name = 'kbuild-stale-test';
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-signals-cache-'));
    scratch.push(cache);
    await execa('podman', ['rm', '--force', '--time=0', name], { reject: false });
    await execa('podman', ['run', '-d', '--network=none', `--label=${RUN_LABEL}=x`, `--name=${name}`, IMAGE, 'sleep', '600']);
    try {
      // A pid that certainly belonged to a process that has exited.
      const dead = await execa('sh', ['-c', 'echo $$']);
      const deadPid = Number(dead.stdout);
      const runs = path.join(cache, 'kbuild-container', 'runs');
      fs.mkdirSync(runs, { recursive: true });
      const record = {
        name,
        enginePath: (await execa('sh', ['-c', 'command -v podman'])).stdout,
        removeArgs: ['rm', '--force', '--time=0', name],
        runnerPid: deadPid,
      };
      fs.writeFileSync(path.join(runs, name), JSON.stringify(record));
      // A run whose runner lives (this test process) must be left alone.
      const live = { ...record, name: 'kbuild-live-test', removeArgs: ['rm', '--force', '--time=0', 'kbuild-live-test'], runnerPid: process.pid };
      fs.writeFileSync(path.join(runs, live.name), JSON.stringify(live));

      const work = makefileDir('podman', 'all:\n\t@echo built\n');
      const r = await runMake('podman', work, [`CONTAINER=${IMAGE}`], { env: { XDG_CACHE_HOME: cache } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('built');
      const said = r.stderr.split('\n').filter((l) => l.includes(name));
      expect(said).toEqual([`kbuild-container: removed container ${name} left behind by an earlier run`]);
      expect((await execa('podman', ['ps', '-a', '-q', '--filter', `name=^${name}$`])).stdout).toBe('');
      expect(fs.readdirSync(runs).sort()).toEqual(['kbuild-live-test']);
    } finally {
      await execa('podman', ['rm', '--force', '--time=0', name], { reject: false });
    }
  }, 120_000);
});

/** A scratch directory holding one Makefile, for runs that need no kernel. */
function makefileDir(kind: EngineKind, makefile: string): string {
  const dir = scratchDir(kind, 'kbc-signals-mk-');
  scratch.push(dir);
  fs.writeFileSync(path.join(dir, 'Makefile'), makefile);
  return dir;
}
