// The command line of `npm run bench` (scripts/bench.sh): options to a typed
// configuration, which the JSON records as meta.config. Pure but for the
// facts passed in.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINES } from '../../src/plan/engines/index.js';

export const USAGE = `usage: scripts/bench.sh [OPTIONS]

  --quick            few repetitions (develop the script; figures are not meaningful)
  --no-wait          do not wait for a quiet machine first
  --wait-max MIN     longest wait for a quiet machine at the start (default 40)
  --gate-max MIN     before each figure and each full build, wait up to MIN for
                     20 s without others' cc1/make (default 5; 0: do not)
  --gate-budget MIN  at most this much waiting in those gates altogether (default 30)
  --runs N           timed rounds for start-up figures (default 15; warm-up 2)
  --noop-runs N      timed rounds for the no-op rebuild (default 20; rounds vary by more than the goal)
  --full-runs N      full builds per tool (default 2)
  --stop-reps N      stop-latency trials per engine and signal (default 3)
  --engines LIST     podman,docker (default: those installed)
  --no-upstream      skip the rows of the kernel's scripts/container
  --only LIST        some of: full,overhead,noop,memory,breakdown,stop,upstream
  --tree DIR         pristine kernel tree (default /var/cache/kbuild-container/linux-7.2)
  --image NAME       toolchain image (default korg-gcc)
  --jobs N           -j for builds (default: number of CPUs)
  --work DIR         work directory (default /tmp/kbc-bench.PID; removed unless --keep-work)
  --json FILE        where to write the JSON (default .bench/bench-DATE.json)
  --keep-work        keep the work directory (build outputs) for another run with --work
  --stop-timeout S   how long a stopped build may take before it counts as not stopped (default 10)

Environment: KBC_BENCH_DEBUG=1 prints stack traces of failed figures.`;

/** The figures --only can pick, in the order they run. */
export const PHASES = ['full', 'overhead', 'noop', 'memory', 'breakdown', 'stop', 'upstream'] as const;
export type Phase = (typeof PHASES)[number];

/** What to measure and how often; recorded in the JSON as meta.config (key order kept). */
export interface Config {
  runs: number;
  warmup: number;
  noopRuns: number;
  fullRuns: number;
  stopReps: number;
  stopTimeoutMs: number;
  gateMaxMs: number;
  gateBudgetMs: number;
  jobs: number;
  image: string;
  pristine: string;
  work: string;
  phases: Set<Phase>;
  /** scripts/container rows: asked for and present in the tree. */
  upstream: boolean;
  /** The asked-for engines that are installed. */
  engines: string[];
}

/** The options that are about this invocation rather than the figures. */
export interface Options {
  help: boolean;
  noWait: boolean;
  waitMaxMin: number;
  keepWork: boolean;
  json: string | undefined;
  cfg: Config;
}

/** What the options depend on outside the command line. */
export interface OptionFacts {
  pid: number;
  cpus: number;
  installed: (command: string) => boolean;
  hasUpstream: (pristineTree: string) => boolean;
}

/** A bad option value: one line, exit status 2. */
export class OptionError extends Error {}

/** Parse the command line; throws OptionError naming the option and value. */
export function parseOptions(argv: string[], facts: OptionFacts): Options {
  // biome-ignore lint/suspicious/noImplicitAnyLet: its type is parseArgs's, inferred from the options below
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        'no-wait': { type: 'boolean', default: false },
        'wait-max': { type: 'string', default: '40' },
        'gate-max': { type: 'string', default: '5' },
        'gate-budget': { type: 'string', default: '30' },
        runs: { type: 'string' },
        'noop-runs': { type: 'string' },
        'full-runs': { type: 'string' },
        'stop-reps': { type: 'string' },
        engines: { type: 'string' },
        'no-upstream': { type: 'boolean', default: false },
        only: { type: 'string' },
        tree: { type: 'string', default: '/var/cache/kbuild-container/linux-7.2' },
        image: { type: 'string', default: 'korg-gcc' },
        jobs: { type: 'string', default: String(facts.cpus) },
        work: { type: 'string' },
        'keep-work': { type: 'boolean', default: false },
        json: { type: 'string' },
        'stop-timeout': { type: 'string', default: '10' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new OptionError((err as Error).message);
  }
  const quick = values.quick;
  const count = (name: 'runs' | 'noop-runs' | 'full-runs' | 'stop-reps', quickDefault: number, fullDefault: number): number => {
    const v = values[name];
    if (v === undefined) return quick ? quickDefault : fullDefault;
    return nonNegative(name, v);
  };
  const phases = (values.only ?? PHASES.join(',')).split(',');
  const unknownPhase = phases.find((p) => !(PHASES as readonly string[]).includes(p));
  if (unknownPhase !== undefined) throw new OptionError(`--only: unknown figure '${unknownPhase}' (some of: ${PHASES.join(',')})`);
  const engines = (values.engines ?? 'podman,docker').split(',');
  const unknownEngine = engines.find((e) => !(e in ENGINES));
  if (unknownEngine !== undefined) throw new OptionError(`--engines: unknown engine '${unknownEngine}' (some of: ${Object.keys(ENGINES).join(',')})`);
  const pristine = path.resolve(values.tree);
  const cfg: Config = {
    runs: count('runs', 3, 15),
    warmup: quick ? 1 : 2,
    noopRuns: count('noop-runs', 2, 20),
    fullRuns: count('full-runs', 1, 2),
    stopReps: count('stop-reps', 1, 3),
    stopTimeoutMs: nonNegative('stop-timeout', values['stop-timeout']) * 1000,
    gateMaxMs: values['no-wait'] ? 0 : minutes('gate-max', values['gate-max']) * 60000,
    gateBudgetMs: minutes('gate-budget', values['gate-budget']) * 60000,
    jobs: nonNegative('jobs', values.jobs),
    image: values.image,
    pristine,
    work: path.resolve(values.work ?? `/tmp/kbc-bench.${facts.pid}`),
    phases: new Set(phases as Phase[]),
    upstream: false,
    engines: engines.filter((e) => facts.installed(e)),
  };
  cfg.upstream = !values['no-upstream'] && cfg.phases.has('upstream') && facts.hasUpstream(pristine);
  return {
    help: values.help,
    noWait: values['no-wait'],
    waitMaxMin: minutes('wait-max', values['wait-max']),
    keepWork: values['keep-work'],
    json: values.json,
    cfg,
  };
}

function nonNegative(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new OptionError(`--${name}: '${value}' is not a whole number`);
  return Number.parseInt(value, 10);
}

function minutes(name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new OptionError(`--${name}: '${value}' is not a number of minutes`);
  return n;
}
