// The benchmark's pure parts (scripts/bench/): statistics, the /proc parser,
// the bare engine command cut from the runner's own dry run, options, the
// CPU-profile categories. Its figures themselves need root and real engines.
import { describe, expect, it } from 'vitest';
import { bareArgv, bareFromDryRun } from '../../../scripts/bench/commands.js';
import { category } from '../../../scripts/bench/cpuprof.js';
import { containerNameOf } from '../../../scripts/bench/figures/stop-latency.js';
import { OptionError, parseOptions, type OptionFacts } from '../../../scripts/bench/options.js';
import { descendants, parseStat, type Proc } from '../../../scripts/bench/procfs.js';
import { paired, roundOrder, summarize } from '../../../scripts/bench/stats.js';
import { buildInvocation } from '../../../src/parse/invocation.js';
import { parseAssignment, type Jobserver } from '../../../src/parse/makeflags.js';
import { ENGINES } from '../../../src/plan/engines/index.js';
import { RUN_LABEL, planRun } from '../../../src/plan/plan-run.js';
import { quoteCommand } from '../../../src/plan/shell-words.js';

describe('summarize, roundOrder, paired', () => {
  it.each([
    [[3, 1, 2], { n: 3, median: 2, q1: 1.5, q3: 2.5, min: 1, max: 3 }],
    [[4, 1, 3, 2], { n: 4, median: 2.5, q1: 1.75, q3: 3.25, min: 1, max: 4 }],
    [[5, undefined, NaN, 7], { n: 2, median: 6, q1: 5.5, q3: 6.5, min: 5, max: 7 }],
    [[], { n: 0, median: NaN, q1: NaN, q3: NaN, min: NaN, max: NaN }],
  ])('%j → %j', (values, summary) => {
    expect(summarize(values)).toEqual(summary);
  });

  it.each([
    [-2, ['a', 'b', 'c'].slice(1).concat('a')],
    [-1, ['c', 'a', 'b']],
    [0, ['a', 'b', 'c']],
    [1, ['b', 'c', 'a']],
    [3, ['a', 'b', 'c']],
  ])('round %i runs %j', (round, order) => {
    expect(roundOrder(['a', 'b', 'c'], round)).toEqual(order);
  });

  it('pairs rounds up to the shorter list', () => {
    expect(paired([10, 20, 30], [5, 10], (x, y) => x / y)).toEqual([2, 2]);
  });
});

describe('the /proc reader', () => {
  it.each([
    ['123 (make) S 1 123 123 0', { pid: 123, comm: 'make', state: 'S', ppid: 1, pgid: 123 }],
    ['7 (a) b (c)) Z 5 6 6 0', { pid: 7, comm: 'a) b (c)', state: 'Z', ppid: 5, pgid: 6 }],
  ])('%s', (stat, proc) => {
    expect(parseStat(proc.pid, stat)).toEqual(proc);
  });

  it('finds the descendants of the roots, roots included, and nothing else', () => {
    const p = (pid: number, ppid: number): Proc => ({ pid, ppid, pgid: pid, comm: `p${pid}`, state: 'S' });
    const procs = [p(1, 0), p(2, 1), p(3, 2), p(4, 3), p(5, 1), p(6, 5)];
    expect(
      descendants(procs, (x) => x.pid === 2)
        .map((x) => x.pid)
        .sort(),
    ).toEqual([2, 3, 4]);
    expect(
      descendants(procs, (x) => x.pid === 4 || x.pid === 5)
        .map((x) => x.pid)
        .sort(),
    ).toEqual([4, 5, 6]);
  });
});

describe('the bare engine command from the runner dry run', () => {
  const HOST = { uid: 1000, gid: 1000, username: 'kb', hostname: 'h', stdinIsTTY: false, stdoutIsTTY: false };
  const fifo: Jobserver = { style: 'fifo', path: '/tmp/GMfifo1' };
  const dryRun = (engine: 'podman' | 'docker', jobserver?: Jobserver): string => {
    const invocation = buildInvocation({
      cwd: '/w/tree',
      goals: ['bzImage'],
      flags: [],
      jobs: jobserver ? { kind: 'count', count: 2 } : { kind: 'default' },
      jobserver,
      overrides: ['CONTAINER=korg-gcc', 'O=/w/out/x'].map((w) => parseAssignment(w)!),
      silent: false,
      env: {},
    });
    const plan = planRun({ invocation, engine: ENGINES[engine], enginePath: `/usr/bin/${engine}`, host: HOST, tree: { srctree: '/w/tree' }, runId: 'r1' });
    // As make -C prints it: its directory lines around the runner's line.
    return `make: Entering directory '/w/tree'\n${quoteCommand([plan.file, ...plan.args])}\nmake: Leaving directory '/w/tree'\n`;
  };

  it.each([
    ['podman', undefined, 0, ['make', 'O=/w/out/x', 'bzImage']],
    ['podman', fifo, 2, ['make', '-j2', 'O=/w/out/x', 'bzImage']],
    ['docker', fifo, 2, ['make', '-j2', 'O=/w/out/x', 'bzImage']],
  ] as const)('%s, jobserver %j, -j%i: make runs as %j', (engine, jobserver, jobs, inner) => {
    const words = bareFromDryRun(dryRun(engine, jobserver), 'korg-gcc', jobs);
    expect(words.inner).toEqual(inner);
    expect(words.prefix[0]).toBe(`/usr/bin/${engine}`);
    expect(words.prefix.at(-1)).toBe('korg-gcc');
    expect(words.prefix.some((w) => w.startsWith('--volume=/w/tree:/w/tree'))).toBe(true);
    expect(words.prefix.some((w) => w.startsWith('--preserve-fds'))).toBe(false);
  });

  it('gives each run a fresh name and relabels it, so no leak check counts it', () => {
    const words = bareFromDryRun(dryRun('podman'), 'korg-gcc');
    const b = { containerName: (n: number | string) => `kbench-x-${n}` } as Parameters<typeof bareArgv>[0];
    const [file, args] = bareArgv(b, words, 7);
    expect(file).toBe('/usr/bin/podman');
    expect(args).toContain('--name=kbench-x-7');
    expect(args).toContain('--label=io.kbuild-container.bench=7');
    expect(args.some((w) => w.startsWith(`--label=${RUN_LABEL}=`) || w === '--name=kbuild-r1')).toBe(false);
    expect(args.slice(-3)).toEqual(['make', 'O=/w/out/x', 'bzImage']);
  });

  it.each([
    ['no command', 'make: Nothing to be done'],
    ['no wrapper', '/usr/bin/podman run --rm korg-gcc make'],
    ['shell operators', '/usr/bin/podman run > x'],
  ])('refuses %s', (_, printed) => {
    expect(() => bareFromDryRun(printed, 'korg-gcc')).toThrow();
  });
});

describe('options', () => {
  const facts: OptionFacts = { pid: 42, cpus: 2, installed: (c) => c === 'podman', hasUpstream: () => true };

  it('defaults: the figures of the README, engines that are installed, key order of the JSON', () => {
    const { cfg, noWait, keepWork, json } = parseOptions([], facts);
    expect(Object.keys(cfg)).toEqual([
      'runs',
      'warmup',
      'noopRuns',
      'fullRuns',
      'stopReps',
      'stopTimeoutMs',
      'gateMaxMs',
      'gateBudgetMs',
      'jobs',
      'image',
      'pristine',
      'work',
      'phases',
      'upstream',
      'engines',
    ]);
    expect({ ...cfg, phases: [...cfg.phases] }).toEqual({
      runs: 15,
      warmup: 2,
      noopRuns: 20,
      fullRuns: 2,
      stopReps: 3,
      stopTimeoutMs: 10000,
      gateMaxMs: 300000,
      gateBudgetMs: 1800000,
      jobs: 2,
      image: 'korg-gcc',
      pristine: '/var/cache/kbuild-container/linux-7.2',
      work: '/tmp/kbc-bench.42',
      phases: ['full', 'overhead', 'noop', 'memory', 'breakdown', 'stop', 'upstream'],
      upstream: true,
      engines: ['podman'],
    });
    expect([noWait, keepWork, json]).toEqual([false, false, undefined]);
  });

  it.each([
    [['--quick'], { runs: 3, warmup: 1, noopRuns: 2, fullRuns: 1, stopReps: 1 }],
    [['--quick', '--runs', '5'], { runs: 5, warmup: 1 }],
    [['--no-wait'], { gateMaxMs: 0 }],
    [['--no-upstream'], { upstream: false }],
    [['--only', 'overhead,noop'], { upstream: false }],
    [['--engines', 'docker'], { engines: [] }],
    [['--stop-timeout', '3', '--jobs', '4'], { stopTimeoutMs: 3000, jobs: 4 }],
  ])('%j → %j', (argv, part) => {
    expect(parseOptions(argv, facts).cfg).toMatchObject(part);
  });

  it.each([
    [['--runs', 'x'], "--runs: 'x' is not a whole number"],
    [['--only', 'full,speed'], "--only: unknown figure 'speed'"],
    [['--engines', 'lxc'], "--engines: unknown engine 'lxc'"],
    [['--gate-max=-1'], "--gate-max: '-1' is not a number of minutes"],
    [['--frobnicate'], "Unknown option '--frobnicate'"],
  ])('%j: %s', (argv, message) => {
    expect(() => parseOptions(argv, facts)).toThrow(OptionError);
    expect(() => parseOptions(argv, facts)).toThrow(message);
  });
});

describe('stop trials and CPU profiles', () => {
  it.each([
    [['podman', 'run', '--rm', '--name=kbuild-1', 'img'], 'kbuild-1'],
    [['python3', 'docker', 'run', '--name', 'up-2', 'img'], 'up-2'],
    [['podman', 'rm', '--force', '--name=x'], undefined],
    [['node', 'kbuild-container'], undefined],
  ])('%j names container %s', (argv, name) => {
    expect(containerNameOf(argv)).toBe(name);
  });

  const f = (functionName: string, url: string) => ({ functionName, url });
  it.each([
    [[f('(garbage collector)', '')], '(garbage collector)'],
    [[f('spawn', 'node:child_process'), f('startEngine', 'file:///r/.bench/dist/kbuild-container.cjs')], 'runner: spawning processes'],
    [[f('readFileSync', 'node:fs'), f('plan', 'file:///r/.bench/dist/kbuild-container.cjs')], 'runner: file system calls'],
    [[f('planRun', 'file:///r/.bench/dist/kbuild-container.cjs')], 'runner: its own JS'],
    [[f('parse', 'file:///r/node_modules/x/index.js'), f('plan', 'file:///r/.bench/dist/kbuild-container.cjs')], 'dependency code'],
    [[f('link', 'node:internal/modules/esm/module_job')], 'node: ESM loader (resolve, read, compile, link)'],
    [[f('x', 'node:internal/x'), f('compileForInternalLoader', 'node:internal/bootstrap/realm')], 'node: built-in modules, first load'],
    [[f('runMain', 'node:internal/main')], 'node: other (bootstrap, teardown)'],
  ])('%j → %s', (stack, cat) => {
    expect(category(stack, '/.bench/dist/')).toBe(cat);
  });
});
