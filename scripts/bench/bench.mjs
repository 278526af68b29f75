// The benchmark behind `npm run bench` (scripts/bench.sh builds the runner
// into .bench/dist and starts this). Measures, in one run on this machine,
// kbuild-container against the bare engine, the host's native build and the
// kernel's own scripts/container, and prints a table plus a JSON file.
// See scripts/bench.sh --help for the options.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parse as parseShellWords } from 'shell-quote';
import { summarizeProfile } from './cpuprof.mjs';
import {
  MachineSampler, alternate, cmdline, cwdOf, descendants, lastLines, listProcesses, liveChildren, now, paired,
  peakRssKiB, run, runOk, sleep, stopping, summarize, waitForQuiet,
} from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const fragment = path.join(repo, 'make/Makefile.container');
const RUNNER_LABEL = 'io.kbuild-container.run';

// ---------------------------------------------------------------- options

const USAGE = `usage: scripts/bench.sh [OPTIONS]

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

const { values: opt } = parseArgs({
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
    jobs: { type: 'string', default: String(os.availableParallelism()) },
    work: { type: 'string' },
    'keep-work': { type: 'boolean', default: false },
    json: { type: 'string' },
    'stop-timeout': { type: 'string', default: '10' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(USAGE);
  process.exit(0);
}
const int = (v, d) => (v === undefined ? d : Number.parseInt(v, 10));
const cfg = {
  runs: int(opt.runs, opt.quick ? 3 : 15),
  warmup: opt.quick ? 1 : 2,
  noopRuns: int(opt['noop-runs'], opt.quick ? 2 : 20),
  fullRuns: int(opt['full-runs'], opt.quick ? 1 : 2),
  stopReps: int(opt['stop-reps'], opt.quick ? 1 : 3),
  stopTimeoutMs: int(opt['stop-timeout'], 10) * 1000,
  gateMaxMs: opt['no-wait'] ? 0 : Number(opt['gate-max']) * 60000,
  gateBudgetMs: Number(opt['gate-budget']) * 60000,
  jobs: int(opt.jobs, 2),
  image: opt.image,
  pristine: path.resolve(opt.tree),
  work: path.resolve(opt.work ?? `/tmp/kbc-bench.${process.pid}`),
  phases: new Set((opt.only ?? 'full,overhead,noop,memory,breakdown,stop,upstream').split(',')),
};
cfg.upstream = !opt['no-upstream'] && cfg.phases.has('upstream') && fs.existsSync(path.join(cfg.pristine, 'scripts/container'));
cfg.engines = (opt.engines ?? 'podman,docker').split(',').filter((e) => which(e));
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

function which(cmd) {
  return (process.env.PATH ?? '').split(':').map((d) => path.join(d, cmd)).find((f) => {
    try {
      fs.accessSync(f, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

// ---------------------------------------------------------------- set-up

const W = cfg.work;
const tree = path.join(W, 'ovl/merged'); // writable overlay view of the pristine tree
const RUNNER = path.join(repo, '.bench/dist/kbuild-container.cjs'); // what npm run build ships
const ESM_CLI = path.join(repo, '.bench/dist/cli.js'); // the same code unbundled, to show what bundling saves
const bin = path.join(W, 'bin'); // kbuild-container -> RUNNER, as after npm install -g
const esmBin = path.join(W, 'esm-bin'); // kbuild-container -> ESM_CLI
const env = cleanEnv({ PATH: `${bin}:${process.env.PATH}` });
const esmEnv = { ...env, PATH: `${esmBin}:${process.env.PATH}` };
// node reads this file at every start; Makefile.container keeps it from the runner.
const CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
const noCaEnv = { ...env };
delete noCaEnv.NODE_EXTRA_CA_CERTS;
let overlayMounted = false;
const leaders = new Set(); // detached process groups we started (stop trials)
const containers = new Set(); // `engine name` of containers we may have left

// Only the variables a user's shell would have: no make or runner state from whoever started us.
function cleanEnv(extra) {
  const e = { ...process.env, ...extra };
  for (const k of Object.keys(e)) {
    if (/^(MAKE|MFLAGS|MAKEFLAGS|MAKELEVEL|MAKEOVERRIDES|NODE_OPTIONS|CONTAINER|KBUILD_|KCONFIG_|O$|ARCH$|CROSS_COMPILE$|LLVM$)/.test(k)) delete e[k];
  }
  return e;
}

async function setUp() {
  fs.mkdirSync(path.join(W, 'ovl/upper'), { recursive: true });
  fs.mkdirSync(path.join(W, 'ovl/work'), { recursive: true });
  fs.mkdirSync(tree, { recursive: true });
  fs.mkdirSync(path.join(W, 'out'), { recursive: true });
  await runOk('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${cfg.pristine},upperdir=${W}/ovl/upper,workdir=${W}/ovl/work`, tree]);
  overlayMounted = true;
  for (const [dir, target] of [[bin, RUNNER], [esmBin, ESM_CLI]]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(path.join(dir, 'kbuild-container'), { force: true });
    fs.symlinkSync(target, path.join(dir, 'kbuild-container'));
  }
  // The tree and the toolchains into the page cache, so the first timed build is not the only cold one.
  log('warming the page cache (tree, images)');
  await runOk('sh', ['-c', 'tar -C "$1" -cf - . | cat >/dev/null', 'sh', tree]);
  for (const e of cfg.engines) await runOk(e, ['run', '--rm', '--network=none', cfg.image, 'true']);
}

let tornDown;
/** Stop what still runs, remove our containers, unmount the overlay, remove the work directory; once. */
function tearDown() {
  tornDown ??= tearDownOnce();
  return tornDown;
}

async function tearDownOnce() {
  // Interrupted mid-measurement: stop what runs as a user would (the runner removes its container).
  const cleanup = (file, args, options) => run(file, args, { ...options, cleanup: true });
  for (const child of liveChildren) child.kill('SIGTERM');
  for (let i = 0; i < 30 && liveChildren.size > 0; i++) await sleep(100);
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const pgid of leaders) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {}
  }
  // Bare-engine containers of this run (an interrupted benchmark may leave one).
  for (const engine of cfg.engines) {
    const r = await cleanup(engine, ['ps', '--all', '--quiet', '--filter', `name=kbench-${process.pid.toString(36)}-`], { capture: true });
    for (const id of r.stdout.split('\n').filter(Boolean)) containers.add(`${engine} ${id}`);
  }
  for (const c of containers) {
    const [engine, name] = c.split(' ');
    await cleanup(engine, engine === 'podman' ? ['rm', '--force', '--time=0', name] : ['rm', '--force', name]);
  }
  if (overlayMounted) {
    // Anything still using the tree would keep it busy: wait briefly for stragglers.
    for (let i = 0; i < 20; i++) {
      const r = await cleanup('umount', [tree]);
      if (r.code === 0) {
        overlayMounted = false;
        break;
      }
      await sleep(500);
    }
    if (overlayMounted) log(`could not unmount ${tree}: unmount it by hand`);
  }
  if (!opt['keep-work'] && !overlayMounted) fs.rmSync(W, { recursive: true, force: true });
}

async function versions() {
  const first = async (f, a) => {
    const r = await run(f, a, { capture: true, env });
    return (r.stdout || r.stderr).trim().split('\n')[0];
  };
  const v = {
    node: process.version,
    kernel: os.release(),
    cpus: os.availableParallelism(),
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    make: await first('make', ['--version']),
    hostGcc: await first('gcc', ['--version']),
    tree: `${cfg.pristine} (${(await first('make', ['-s', '-C', tree, 'kernelversion'])) || '?'})`,
    git: (await first('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'])) + ((await run('git', ['-C', repo, 'diff', '--quiet', 'HEAD', '--', 'src'])).code ? ' (src modified)' : ''),
  };
  for (const e of cfg.engines) {
    v[e] = await first(e, ['--version']);
    v[`${e}ImageGcc`] = await first(e, ['run', '--rm', '--network=none', cfg.image, 'gcc', '--version']);
  }
  if (cfg.engines.includes('docker')) v.dockerServer = await first('docker', ['version', '--format', '{{.Server.Version}}']);
  return v;
}

// ---------------------------------------------------------------- the commands compared

const outDir = (name) => path.join(W, 'out', name);
const jobsArg = (jobs) => (jobs ? [`-j${jobs}`] : []);

/** make CONTAINER=image ... through Makefile.container, from the tree, as the README shows. */
function oursArgs(engine, { o, goals, jobs = 0, extraVars = [] }) {
  return ['-C', tree, '-f', fragment, `CONTAINER=${cfg.image}`, `CONTAINER_RUNTIME=${engine}`, ...extraVars, ...jobsArg(jobs), `O=${o}`, ...goals];
}
const ours = (engine, spec, e = env) => () => runOk('make', oursArgs(engine, spec), { env: e });
const native = ({ o, goals, jobs = 0 }) => () => runOk('make', ['-C', tree, ...jobsArg(jobs), `O=${o}`, ...goals], { env });

let rawCount = 0;
/**
 * The engine command the runner would execute (its dry run, same mounts and
 * flags) with a plain make as the command instead of the runner's wrapper, a
 * fresh name, and our label renamed so nobody's leak check counts these.
 */
async function rawFromPlan(engine, { o, goals, jobs = 0 }) {
  const r = await runOk('make', oursArgs(engine, { o, goals, jobs }), { env: { ...env, CONTAINER_DRYRUN: '1' }, capture: true });
  // make -C prints its own directory lines around the command.
  const printed = r.stdout.split('\n').filter((l) => !/^make(\[\d+\])?: (Entering|Leaving) directory/.test(l)).join('\n');
  const words = parseShellWords(printed.trim());
  if (!words.every((w) => typeof w === 'string')) throw new Error(`unexpected dry-run output: ${r.stdout}`);
  const at = words.findIndex((w, i) => w === 'sh' && words[i + 1] === '-c' && words[i - 1] === cfg.image);
  if (at < 0) throw new Error(`no wrapper in the dry-run output: ${r.stdout}`);
  // sh -c SCRIPT $0 MARKER FIFO make...
  const inner = words.slice(at + 6).filter((w) => !w.startsWith('--jobserver-'));
  if (jobs && !inner.some((w) => /^-j/.test(w))) inner.splice(1, 0, `-j${jobs}`);
  const prefix = words.slice(0, at).filter((w) => !w.startsWith('--preserve-fds'));
  return {
    argv: (n) => {
      const name = `kbench-${process.pid.toString(36)}-${n}`;
      const args = prefix.slice(1).map((w) => (w.startsWith('--name=') ? `--name=${name}` : w.startsWith(`--label=${RUNNER_LABEL}=`) ? `--label=io.kbuild-container.bench=${n}` : w));
      return [prefix[0], [...args, ...inner]];
    },
  };
}
const rawRunner = (raw) => () => {
  const [file, args] = raw.argv(++rawCount);
  return runOk(file, args, { env });
};

// The kernel's scripts/container, run with the system Python (>= 3.10) rather
// than whatever python3 shim comes first on PATH; O= must be inside the tree.
const UPSTREAM_O = (name) => `.kbc-bench/${name}`;
function upstreamArgs(engine, { o, goals, jobs = 0 }, verbose = false) {
  return [path.join(tree, 'scripts/container'), ...(verbose ? ['-v'] : []), '-r', engine, '-i', cfg.image, '--', 'make', ...jobsArg(jobs), `O=${o}`, ...goals];
}
const upstream = (engine, spec) => () => runOk('/usr/bin/python3', upstreamArgs(engine, spec), { cwd: tree, env });

/** The engine command scripts/container runs (from its own -v log), with a fresh name each time. */
async function upstreamRaw(engine, spec) {
  const r = await runOk('/usr/bin/python3', upstreamArgs(engine, spec, true), { cwd: tree, env });
  const line = r.stderr.split('\n').find((l) => l.includes('command: '));
  if (!line) throw new Error(`scripts/container -v printed no command: ${lastLines(r.stderr, 4)}`);
  const words = line.slice(line.indexOf('command: ') + 9).trim().split(' '); // it joins with spaces, unquoted
  const file = which(words[0]);
  return () => {
    const name = `kbench-${process.pid.toString(36)}-${++rawCount}`;
    const args = words.slice(1).map((w, i, a) => (a[i - 1] === '--name' ? name : w));
    return runOk(file, args, { env, cwd: tree });
  };
}

// ---------------------------------------------------------------- figures

const rows = [];
const raw = {};
const errors = [];
const sampler = new MachineSampler(W);
const ms = (x) => Math.round(x * 10) / 10;

const gates = [];
let gateSpentMs = 0;
/**
 * Others build on this machine now and then: before a figure or a full build,
 * wait (within limits) until the sampler has seen nobody else's cc1 or make
 * for 20 s.
 */
async function gate(label) {
  const budget = Math.min(cfg.gateMaxMs, cfg.gateBudgetMs - gateSpentMs);
  if (budget <= 0) return gates.push({ label, skipped: true });
  const start = now();
  let quiet;
  while ((quiet = now() - sampler.lastOthersAt >= 20000) === false && now() - start < budget && !stopping.now) await sleep(1000);
  const waitedS = Math.round((now() - start) / 1000);
  gateSpentMs += now() - start;
  gates.push({ label, quiet, waitedS });
  if (!quiet) log(`  (${label}: others still building after ${waitedS} s; measuring anyway)`);
  else if (waitedS > 1) log(`  (waited ${waitedS} s for others' builds to end)`);
}

/** "quiet" or how often the sampler (every 2 s) saw others' compilers or makes. */
function othersDuring(mark) {
  const d = sampler.since(mark);
  return d.withOthers === 0 ? `quiet (${d.samples} samples)` : `others' cc1/make in ${d.withOthers}/${d.samples} samples`;
}

/** Run one figure; a failure becomes an error row instead of ending the benchmark. */
async function figure(phase, name, fn) {
  sampler.enter(phase);
  log(name);
  const first = rows.length;
  await gate(name);
  const mark = sampler.mark();
  try {
    await fn();
    for (const r of rows.slice(first)) r.machine ??= othersDuring(mark);
  } catch (err) {
    errors.push({ figure: name, error: err.message });
    rows.push({ figure: name, tool: '', measured: 'failed', spread: err.message.slice(0, 200), goal: '', verdict: 'error' });
    log(`  failed: ${process.env.KBC_BENCH_DEBUG ? err.stack : err.message}`);
  }
}

function addRow(row) {
  rows.push(row);
  log(`  ${row.tool}: ${row.measured}  (${row.spread})`);
}

const s = (x) => `${(x / 1000).toFixed(2)} s`;
const iqr = (st, f = s) => `IQR ${f(st.q1)}–${f(st.q3)}, min–max ${f(st.min)}–${f(st.max)}, n=${st.n}`;
const verdict = (ok) => (ok ? 'meets goal' : 'misses goal');

/** Full tinyconfig bzImage builds, fresh O= each, tools alternating; also the runner's peak RSS. */
async function fullBuilds() {
  const kinds = [['native', native]];
  for (const e of cfg.engines) kinds.push([`ours-${e}`, (spec) => ours(e, spec)]);
  if (cfg.upstream && cfg.engines.includes('docker')) kinds.push(['upstream-docker', (spec) => upstream('docker', spec)]);
  const goals = ['tinyconfig', 'bzImage'];

  // Untimed: each tool configures once, so its toolchain is warm before the first timed build.
  for (const [kind, make] of kinds) {
    const o = kind.startsWith('upstream') ? UPSTREAM_O('warm') : outDir(`warm-${kind}`);
    await make({ o, goals: ['tinyconfig'], jobs: cfg.jobs })();
  }

  const times = Object.fromEntries(kinds.map(([k]) => [k, []]));
  const memory = Object.fromEntries(kinds.map(([k]) => [k, []]));
  const others = Object.fromEntries(kinds.map(([k]) => [k, []]));
  for (let round = 0; round < cfg.fullRuns; round++) {
    const order = round % 2 === 0 ? kinds : [...kinds].reverse();
    for (const [kind, make] of order) {
      const name = `full-${kind}-${round}`;
      const o = kind.startsWith('upstream') ? UPSTREAM_O(name) : outDir(name);
      fs.rmSync(path.resolve(tree, o), { recursive: true, force: true });
      await gate(name);
      const mark = sampler.mark();
      const peak = kind === 'native' ? { stop() {}, result: () => ({}) } : new PeakRss();
      const r = await make({ o, goals, jobs: cfg.jobs })().finally(() => peak.stop());
      const d = sampler.since(mark);
      others[kind].push(d.withOthers);
      r.others = `${d.withOthers}/${d.samples}`;
      if (!fs.existsSync(path.resolve(tree, o, 'arch/x86/boot/bzImage'))) throw new Error(`${kind}: no bzImage after the build`);
      times[kind].push(r.ms);
      memory[kind].push(peak.result());
      finished[kind] = o;
      log(`  ${kind} round ${round + 1}: ${s(r.ms)} (others' cc1/make in ${r.others} samples)`);
    }
  }
  raw.fullBuild = { goals, jobs: cfg.jobs, times, memory, samplesWithOthersBuilding: others };
  const disturbed = (k) => others[k].filter((n) => n > 0).length;
  const nat = summarize(times.native);
  for (const [kind] of kinds.slice(1)) {
    const st = summarize(times[kind]);
    const ratio = st.median / nat.median;
    addRow({
      figure: `full build (tinyconfig bzImage, -j${cfg.jobs}, fresh O=) ÷ native host build`,
      tool: toolName(kind),
      measured: `${ratio.toFixed(3)} (${s(st.median)} vs ${s(nat.median)})`,
      spread: `${kind} ${s(st.min)}–${s(st.max)}, native ${s(nat.min)}–${s(nat.max)}, n=${st.n}/${nat.n}`,
      machine: `runs with others' cc1/make: ${kind} ${disturbed(kind)}/${st.n}, native ${disturbed('native')}/${nat.n}`,
      goal: '≤ 1.05',
      verdict: kind.startsWith('upstream') ? 'reported' : verdict(ratio <= 1.05),
      value: ratio,
    });
  }
  const memRows = kinds.filter(([k]) => k !== 'native');
  raw.memoryDuringFullBuild = memory;
  for (const [kind] of memRows) {
    const peaks = memory[kind].map((m) => m.launcherKiB).filter(Boolean);
    const clients = memory[kind].map((m) => m.clientKiB).filter(Boolean);
    const worst = Math.max(0, ...peaks) / 1024;
    addRow({
      figure: 'launcher peak RSS (VmHWM) during a full build',
      tool: toolName(kind),
      measured: `${worst.toFixed(1)} MiB`,
      spread: `runs ${peaks.map((k) => (k / 1024).toFixed(1)).join(', ')} MiB; engine client ${clients.map((k) => (k / 1024).toFixed(1)).join(', ')} MiB`,
      goal: kind.startsWith('ours') ? '≤ 80 MiB' : '',
      verdict: kind.startsWith('ours') ? verdict(worst <= 80) : 'reported',
      value: worst,
    });
  }
}

const finished = {}; // kind -> O= of a finished tinyconfig build by that tool

/** A finished build for the tool, from the full-build phase or made now (untimed). */
async function finishedDir(kind) {
  if (finished[kind]) return finished[kind];
  const o = kind.startsWith('upstream') ? UPSTREAM_O(`ready-${kind}`) : outDir(`ready-${kind}`);
  if (!fs.existsSync(path.resolve(tree, o, 'arch/x86/boot/bzImage'))) {
    log(`  (building ${o} untimed first)`);
    const spec = { o, goals: ['tinyconfig', 'bzImage'], jobs: cfg.jobs };
    if (kind === 'native') await native(spec)();
    else if (kind.startsWith('upstream')) await upstream(kind.split('-')[1], spec)();
    else await ours(kind.split('-')[1], spec)();
  }
  return (finished[kind] = o);
}

function toolName(kind) {
  if (kind.startsWith('ours-')) return `kbuild-container / ${kind.slice(5)}`;
  if (kind.startsWith('upstream-')) return `scripts/container / ${kind.slice(9)}`;
  return kind;
}

/**
 * Peak RSS (VmHWM) of the launcher (the node runner, or scripts/container's
 * python) and of the engine client it starts, while a build we started runs.
 * Looks the processes up until both are found, then only reads their status.
 */
class PeakRss {
  constructor() {
    this.launcher = new Map();
    this.client = new Map();
    this.timer = setInterval(() => this.sample(), 250);
  }

  sample() {
    if (this.launcher.size === 0 || this.client.size === 0) {
      const mine = descendants(listProcesses(), (p) => p.ppid === process.pid);
      for (const p of mine) {
        if (p.comm === 'node' || p.comm.startsWith('python')) this.launcher.set(p.pid, 0);
      }
      for (const p of mine) {
        if ((p.comm === 'podman' || p.comm === 'docker') && this.launcher.has(p.ppid)) this.client.set(p.pid, 0);
      }
    }
    for (const m of [this.launcher, this.client]) {
      for (const [pid, kib] of m) m.set(pid, Math.max(kib, peakRssKiB(pid) ?? 0));
    }
  }

  stop() {
    clearInterval(this.timer);
  }

  result() {
    const max = (m) => Math.max(0, ...m.values());
    return { launcherKiB: max(this.launcher), clientKiB: max(this.client) };
  }
}

/** kbuild-container (or scripts/container) against the bare engine command it runs, alternating. */
async function versusRaw({ kind, engine, goals, jobs, runs, what, goal, relinkCheck }) {
  const o = await finishedDir(kind);
  const spec = { o, goals, jobs };
  const up = kind.startsWith('upstream');
  let tool;
  let bare;
  if (up) {
    tool = upstream(engine, spec);
    bare = await upstreamRaw(engine, spec);
  } else {
    tool = ours(engine, spec);
    const plan = await rawFromPlan(engine, spec);
    raw[`rawCommand ${what} ${engine}`] = plan.argv('N').flat();
    bare = rawRunner(plan);
  }
  const vmlinux = path.resolve(tree, o, 'vmlinux');
  const mtimes = new Set();
  const samples = await alternate(
    {
      tool: async () => {
        const r = await tool();
        if (relinkCheck) mtimes.add(fs.statSync(vmlinux).mtimeMs);
        return r;
      },
      bare: async () => {
        const r = await bare();
        if (relinkCheck) mtimes.add(fs.statSync(vmlinux).mtimeMs);
        return r;
      },
    },
    { runs, warmup: cfg.warmup },
  );
  const a = samples.tool.map((r) => r.ms);
  const b = samples.bare.map((r) => r.ms);
  const sa = summarize(a);
  const sb = summarize(b);
  raw[`${what} ${kind}`] = { tool: a, bare: b, vmlinuxVersions: relinkCheck ? mtimes.size : undefined };
  return { sa, sb, a, b, relinks: relinkCheck ? mtimes.size - 1 : undefined };
}

async function overhead(kind, engine) {
  const { sa, sb, a, b } = await versusRaw({ kind, engine, goals: ['kernelversion'], jobs: 0, runs: cfg.runs, what: 'kernelversion' });
  const pair = summarize(paired(a, b, (x, y) => x / y));
  const ratio = sa.median / sb.median;
  const up = kind.startsWith('upstream');
  addRow({
    figure: 'wrapper overhead: make kernelversion via the tool ÷ the bare engine command',
    tool: toolName(kind),
    measured: `${ratio.toFixed(3)} (${s(sa.median)} vs ${s(sb.median)}, +${Math.round(sa.median - sb.median)} ms)`,
    spread: `per-round ratio median ${pair.median.toFixed(3)} IQR ${pair.q1.toFixed(3)}–${pair.q3.toFixed(3)}; tool ${iqr(sa)}; bare ${iqr(sb)}`,
    goal: up ? '' : '≤ 1.15',
    verdict: up ? 'reported' : verdict(ratio <= 1.15),
    value: ratio,
  });
}

async function noop(kind, engine) {
  const { sa, sb, a, b, relinks } = await versusRaw({ kind, engine, goals: ['bzImage'], jobs: cfg.jobs, runs: cfg.noopRuns, what: 'noop', relinkCheck: true });
  const diff = summarize(paired(a, b, (x, y) => x - y));
  const delta = (sa.median - sb.median) / 1000;
  const up = kind.startsWith('upstream');
  addRow({
    figure: `no-op rebuild (bzImage -j${cfg.jobs} on a finished O=): tool − bare engine`,
    tool: toolName(kind),
    measured: `${delta >= 0 ? '+' : ''}${delta.toFixed(3)} s (${s(sa.median)} vs ${s(sb.median)})${relinks ? `; vmlinux relinked (${relinks + 1} versions seen)` : ''}`,
    spread: `per-round difference median ${(diff.median / 1000).toFixed(3)} s IQR ${(diff.q1 / 1000).toFixed(3)}–${(diff.q3 / 1000).toFixed(3)}; tool ${iqr(sa)}; bare ${iqr(sb)}`,
    goal: up ? '' : '≤ 0.1 s',
    verdict: up ? 'reported' : verdict(delta <= 0.1),
    value: delta,
  });
}

/** Peak RSS of the runner alone on short runs: /usr/bin/time -f %M as the runner command. */
async function memoryShort(engine) {
  const o = await finishedDir(`ours-${engine}`);
  const peaks = {};
  for (const [what, goals, jobs] of [['kernelversion', ['kernelversion'], 0], ['no-op bzImage', ['bzImage'], cfg.jobs]]) {
    peaks[what] = [];
    for (let i = 0; i < 3; i++) {
      const r = await runOk('make', oursArgs(engine, { o, goals, jobs, extraVars: ['KBUILD_CONTAINER_RUNNER=/usr/bin/time -f kbc-maxrss=%M kbuild-container'] }), { env });
      const m = /kbc-maxrss=(\d+)/.exec(r.stderr);
      if (m) peaks[what].push(Number(m[1]));
    }
  }
  raw[`memory ${engine}`] = peaks;
  const all = Object.values(peaks).flat();
  const worst = Math.max(...all) / 1024;
  addRow({
    figure: 'runner peak RSS (/usr/bin/time %M), short runs',
    tool: toolName(`ours-${engine}`),
    measured: `${worst.toFixed(1)} MiB`,
    spread: Object.entries(peaks).map(([k, v]) => `${k} ${v.map((x) => (x / 1024).toFixed(1)).join('/')} MiB`).join('; '),
    goal: '≤ 80 MiB',
    verdict: verdict(worst <= 80),
    value: worst,
  });
}

// ---------------------------------------------------------------- overhead breakdown

const breakdown = {};

/**
 * node start-up: the floor any node launcher pays (start, spawn /bin/true,
 * exit), with and without NODE_EXTRA_CA_CERTS, and the runner's --help
 * bundled (what ships) and unbundled.
 */
async function startup() {
  const spawnTrue = "require('node:child_process').spawn('/bin/true', { stdio: 'ignore' })";
  const commands = {
    'node -e 0': () => runOk('node', ['-e', '0'], { env: noCaEnv }),
    'node: spawn /bin/true, wait, exit': () => runOk('node', ['-e', spawnTrue], { env: noCaEnv }),
    'runner --help, bundle (dist/kbuild-container.cjs)': () => runOk('node', [RUNNER, '--help'], { env: noCaEnv }),
    'runner --help, ES modules (dist/cli.js)': () => runOk('node', [ESM_CLI, '--help'], { env: noCaEnv }),
  };
  if (CA_CERTS) commands[`node -e 0 with NODE_EXTRA_CA_CERTS=${CA_CERTS}`] = () => runOk('node', ['-e', '0'], { env });
  const samples = await alternate(commands, { runs: cfg.runs * 2, warmup: cfg.warmup });
  breakdown.startup = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v.map((r) => r.ms))]));
  for (const [k, st] of Object.entries(breakdown.startup)) log(`  ${k}: ${st.median.toFixed(1)} ms (${iqr(st, (x) => `${x.toFixed(1)}`)})`);
}

/** Where the time between `make` and the engine goes, from timestamps inside the runner. */
async function timeline(engine) {
  const o = await finishedDir(`ours-${engine}`);
  const spec = { o, goals: ['kernelversion'] };
  const out = path.join(W, `probe-${engine}.jsonl`);
  fs.rmSync(out, { force: true });
  const probeEnv = { ...env, NODE_OPTIONS: `--import=${new URL('./probe.mjs', import.meta.url).href}`, KBC_BENCH_PROBE_OUT: out };
  const plan = await rawFromPlan(engine, spec);
  const samples = await alternate(
    {
      // make alone: the fragment with `true` as the runner.
      makeOnly: () => runOk('make', oursArgs(engine, { ...spec, extraVars: ['KBUILD_CONTAINER_RUNNER=true'] }), { env }),
      probed: ours(engine, spec, probeEnv),
      bare: rawRunner(plan),
      runner: ours(engine, spec),
      esm: ours(engine, spec, esmEnv),
    },
    { runs: cfg.runs, warmup: cfg.warmup },
  );
  const records = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).slice(-samples.probed.length);
  const steps = records.map((rec, i) => {
    const r = samples.probed[i];
    const client = rec.spawns.find((sp) => sp.file.endsWith(engine));
    const first = rec.spawns[0];
    return {
      'make, sh and env until node starts': rec.nodeStart - r.start,
      'node start-up, incl. the probe\'s own --import (compare node -e 0)': rec.preload - rec.nodeStart,
      'modules, parse, plan, stale check, record (until lifeline spawn)': first.called - rec.preload,
      'lifeline spawn until client spawned': client.returned - first.called,
      'engine client (spawn to exit)': client.exit - client.returned,
      'client exit to close (stderr drained)': client.close - client.exit,
      'close to process exit event (teardown)': rec.exitEvent - client.close,
      'node exit and make exit (until make returns)': r.end - rec.exitEvent,
      total: r.ms,
    };
  });
  const med = (k) => summarize(steps.map((st) => st[k]));
  breakdown[engine] = {
    steps: Object.fromEntries(Object.keys(steps[0]).map((k) => [k, med(k)])),
    makeOnly: summarize(samples.makeOnly.map((r) => r.ms)),
    bare: summarize(samples.bare.map((r) => r.ms)),
    runner: summarize(samples.runner.map((r) => r.ms)),
    esm: summarize(samples.esm.map((r) => r.ms)),
    probedTotal: summarize(samples.probed.map((r) => r.ms)),
    cpuProfile: await cpuProfiles(engine, spec),
  };
  for (const [k, st] of Object.entries(breakdown[engine].steps)) log(`  ${k}: ${st.median.toFixed(1)} ms`);
  log(`  kernelversion: runner ${breakdown[engine].runner.median.toFixed(0)} ms, unbundled ${breakdown[engine].esm.median.toFixed(0)} ms, bare ${breakdown[engine].bare.median.toFixed(0)} ms, make alone ${breakdown[engine].makeOnly.median.toFixed(0)} ms`);
}

/** node --cpu-prof of the runner during kernelversion: loader time and self time by kind of code. */
async function cpuProfiles(engine, spec) {
  const dir = path.join(W, `cpuprof-${engine}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // --cpu-prof is refused in NODE_OPTIONS: make runs node with it as the runner command.
  const runner = `KBUILD_CONTAINER_RUNNER=node --cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=100 ${RUNNER}`;
  for (let i = 0; i < 5; i++) await runOk('make', oursArgs(engine, { ...spec, extraVars: [runner] }), { env });
  const profiles = fs.readdirSync(dir).map((f) => summarizeProfile(path.join(dir, f), '/.bench/dist/'));
  const cats = [...new Set(profiles.flatMap((p) => Object.keys(p.categories)))];
  return {
    n: profiles.length,
    totalMs: summarize(profiles.map((p) => p.totalMs)).median,
    untilRunnerCodeMs: summarize(profiles.map((p) => p.untilRunnerCodeMs)).median,
    selfMsMedian: Object.fromEntries(cats.map((c) => [c, summarize(profiles.map((p) => p.categories[c] ?? 0)).median])),
    topOfFirst: profiles[0]?.top,
  };
}

// ---------------------------------------------------------------- stop latency

/**
 * Start a real build, wait until compilers run in the container, send the
 * signal, and time until the launcher returned, no process of the run is left
 * (launcher, make, engine client, lifeline, conmon/shim, anything in the
 * container) and the engine no longer knows the container.
 */
async function stopTrial({ kind, engine, signal, target }) {
  if (stopping.now) throw new Error('the benchmark is stopping');
  const up = kind.startsWith('upstream');
  const o = up ? UPSTREAM_O(`stop-${rawCount++}`) : outDir(`stop-${rawCount++}`);
  const oInside = up ? path.join('/src', o) : o;
  fs.rmSync(path.resolve(tree, o), { recursive: true, force: true });
  // Configured first (untimed), so the signal lands while kernel code compiles.
  const configure = { o, goals: ['tinyconfig'], jobs: cfg.jobs };
  await (up ? upstream(engine, configure) : ours(engine, configure))();
  const spec = { o, goals: ['bzImage'], jobs: cfg.jobs };
  const [file, args, cwd] = up ? ['/usr/bin/python3', upstreamArgs(engine, spec), tree] : ['make', oursArgs(engine, spec), undefined];
  const leader = spawn(file, args, { cwd, env, detached: true, stdio: 'ignore' });
  leaders.add(leader.pid);
  let leaderExit;
  leader.once('exit', () => (leaderExit = now()));

  // 1. Wait for a compiler of this build; its cgroup names the container.
  let id;
  let name;
  const deadline = now() + 240000;
  while (!id) {
    if (now() > deadline || leaderExit) throw new Error(`${kind}: no compiler seen before ${leaderExit ? 'the build ended' : 'the deadline'}`);
    await sleep(100);
    for (const p of listProcesses()) {
      if (p.comm !== 'cc1') continue;
      const cwd2 = cwdOf(p.pid) ?? '';
      if (cwd2 !== oInside && !cwd2.startsWith(oInside + '/')) continue;
      if (!cmdline(p.pid).includes('__KERNEL__')) continue; // kernel code, not a host tool
      id = /[0-9a-f]{64}/.exec(fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8'))?.[0];
      if (id) break;
    }
  }
  const group = listProcesses().filter((p) => p.pgid === leader.pid);
  for (const p of group) {
    const argv = cmdline(p.pid);
    const i = argv.findIndex((w) => w === '--name' || w.startsWith('--name='));
    if (i >= 0 && argv.includes('run')) name = argv[i].startsWith('--name=') ? argv[i].slice(7) : argv[i + 1];
  }
  if (!name) throw new Error(`${kind}: engine client not found in the process group`);
  containers.add(`${engine} ${name}`);
  await sleep(1000); // compilers in flight, as in the middle of a build

  const runnerPid = up ? leader.pid : group.find((p) => p.comm === 'node')?.pid;
  if (target === 'runner' && !runnerPid) throw new Error(`${kind}: runner process not found`);

  // 2. Signal, then watch /proc and the engine until everything is gone.
  const t0 = now();
  if (target === 'group') process.kill(-leader.pid, signal);
  else process.kill(runnerPid, signal);

  const isRoot = (p) => p.pid !== process.pid && ((p.pgid === leader.pid) || (p.ppid !== process.pid && cmdline(p.pid).some((w) => w.includes(name) || w.includes(id))));
  const alive = () => descendants(listProcesses(), isRoot).filter((p) => p.state !== 'Z');
  let procsGone;
  let ctrGone;
  let left = [];
  const watchProcs = (async () => {
    while (now() - t0 < cfg.stopTimeoutMs) {
      left = alive();
      if (left.length === 0) procsGone ??= now();
      else procsGone = undefined;
      if (procsGone && ctrGone) return;
      await sleep(20);
    }
  })();
  const exists = engine === 'podman' ? ['container', 'exists', name] : ['container', 'inspect', '--format', '{{.Id}}', name];
  const watchEngine = (async () => {
    while (now() - t0 < cfg.stopTimeoutMs) {
      const r = await run(engine, exists, { env });
      if (r.code !== 0) return void (ctrGone = r.end);
    }
  })();
  await Promise.all([watchProcs, watchEngine]);

  // 3. Whatever is left after the timeout is recorded, then removed.
  const leftovers = left.map((p) => `${p.pid} ${p.comm}`);
  const stopped = procsGone !== undefined && ctrGone !== undefined;
  if (!stopped) {
    await run(engine, engine === 'podman' ? ['rm', '--force', '--time=0', name] : ['rm', '--force', name], { env });
    for (const p of alive()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {}
    }
    await sleep(500);
  }
  if (!leaderExit) {
    try {
      process.kill(-leader.pid, 'SIGKILL');
    } catch {}
  }
  leaders.delete(leader.pid);
  containers.delete(`${engine} ${name}`);
  fs.rmSync(path.resolve(tree, o), { recursive: true, force: true });
  return {
    stopped,
    callerMs: leaderExit ? leaderExit - t0 : undefined,
    processesMs: procsGone ? procsGone - t0 : undefined,
    containerMs: ctrGone ? ctrGone - t0 : undefined,
    allGoneMs: stopped ? Math.max(procsGone, ctrGone) - t0 : undefined,
    leftovers: stopped ? [] : leftovers,
  };
}

async function stopLatency(kind, engine) {
  const up = kind.startsWith('upstream');
  for (const [signal, target, label] of [['SIGINT', 'group', 'Ctrl-C (SIGINT to the process group)'], ['SIGTERM', 'runner', `SIGTERM to the ${up ? 'python process' : 'runner'}`]]) {
    const trials = [];
    for (let i = 0; i < cfg.stopReps; i++) {
      const t = await stopTrial({ kind, engine, signal, target });
      trials.push(t);
      log(`  ${label}: ${t.stopped ? `all gone after ${ms(t.allGoneMs)} ms (caller ${ms(t.callerMs)} ms, processes ${ms(t.processesMs)} ms, container ${ms(t.containerMs)} ms)` : `NOT stopped within ${cfg.stopTimeoutMs / 1000} s: ${t.leftovers.join(', ')}`}`);
    }
    raw[`stop ${kind} ${signal}`] = trials;
    const ok = trials.filter((t) => t.stopped);
    const st = summarize(ok.map((t) => t.allGoneMs));
    const caller = summarize(trials.map((t) => t.callerMs));
    const allStopped = ok.length === trials.length;
    addRow({
      figure: `stop latency: ${label} during a build → nothing left`,
      tool: toolName(kind),
      measured: allStopped ? s(st.median) : `${trials.length - ok.length}/${trials.length} trials not stopped within ${cfg.stopTimeoutMs / 1000} s`,
      spread: `${ok.length ? `all-gone ${s(st.min)}–${s(st.max)}; ` : ''}caller returned ${Number.isNaN(caller.median) ? 'never' : `${s(caller.min)}–${s(caller.max)}`}; n=${trials.length}${allStopped ? '' : `; left: ${trials.find((t) => !t.stopped).leftovers.join(', ')}`}`,
      goal: up ? '' : '≤ 1 s',
      verdict: up ? 'reported' : verdict(allStopped && st.max <= 1000),
      value: allStopped ? st.median / 1000 : undefined,
    });
  }
}

/** Where scripts/container cannot run: what it says. */
async function upstreamCannot(engine, how) {
  const r = await run('/usr/bin/python3', upstreamArgs(engine, { o: UPSTREAM_O('fail'), goals: ['kernelversion'] }), { cwd: tree, env });
  if (r.code === 0) return false;
  addRow({
    figure: 'all figures',
    tool: `scripts/container / ${how}`,
    measured: `cannot run (exit ${r.code})`,
    spread: lastLines(r.stderr, 1).slice(0, 160),
    goal: '',
    verdict: 'reported',
  });
  return true;
}

// ---------------------------------------------------------------- main

function table() {
  const esc = (x) => String(x ?? '').replaceAll('|', '\\|');
  const lines = ['| figure | tool / engine | measured (median) | spread | goal | verdict | machine meanwhile |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${[r.figure, r.tool, r.measured, r.spread, r.goal, r.verdict, r.machine].map(esc).join(' | ')} |`);
  return lines.join('\n');
}

async function main() {
  if (process.getuid() !== 0) throw new Error('run as root: the tree is an overlay mount');
  const started = new Date();
  let quiet = { quiet: undefined, waitedS: 0, skipped: true };
  if (!opt['no-wait']) {
    log('waiting until no cc1 and no make has run for 30 s (others are building)');
    quiet = await waitForQuiet({ quietMs: 30000, maxMs: Number(opt['wait-max']) * 60000, log });
    log(quiet.quiet ? `machine quiet after ${quiet.waitedS} s` : `machine never got quiet in ${quiet.waitedS} s: running anyway`);
  }
  await setUp();
  const meta = { started: started.toISOString(), config: { ...cfg, phases: [...cfg.phases] }, versions: await versions() };
  const P = cfg.phases;
  const kindsOurs = cfg.engines.map((e) => [`ours-${e}`, e]);
  const upDocker = cfg.upstream && cfg.engines.includes('docker') ? [['upstream-docker', 'docker']] : [];

  if (cfg.upstream && cfg.engines.includes('podman')) {
    await figure('upstream-fail', 'scripts/container with rootful podman', () => upstreamCannot('podman', 'podman (rootful)'));
  }
  if (P.has('full')) await figure('full', 'full builds', fullBuilds);
  if (P.has('overhead')) for (const [k, e] of [...kindsOurs, ...upDocker]) await figure(k.startsWith('up') ? 'upstream-overhead' : 'overhead', `wrapper overhead ${k}`, () => overhead(k, e));
  if (P.has('noop')) for (const [k, e] of [...kindsOurs, ...upDocker]) await figure(k.startsWith('up') ? 'upstream-noop' : 'noop', `no-op rebuild ${k}`, () => noop(k, e));
  if (P.has('memory')) for (const [, e] of kindsOurs) await figure('memory', `runner memory ${e}`, () => memoryShort(e));
  if (P.has('breakdown')) {
    await figure('breakdown', 'start-up: node alone, the runner bundled and not', startup);
    for (const [, e] of kindsOurs) await figure('breakdown', `overhead breakdown ${e}`, () => timeline(e));
  }
  if (P.has('stop')) for (const [k, e] of [...kindsOurs, ...upDocker]) await figure(k.startsWith('up') ? 'upstream-stop' : 'stop', `stop latency ${k}`, () => stopLatency(k, e));

  const machine = { waitForQuiet: quiet, gates, gateWaitS: Math.round(gateSpentMs / 1000), phases: sampler.report(), loadAtEnd: fs.readFileSync('/proc/loadavg', 'utf8').trim() };
  const result = { meta: { ...meta, finished: new Date().toISOString() }, machine, rows, breakdown, raw, errors };
  const jsonFile = path.resolve(opt.json ?? path.join(repo, '.bench', `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`));
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(jsonFile, JSON.stringify(result, null, 2) + '\n');

  console.log(table());
  console.log('');
  console.log(breakdownTable());
  console.log('');
  console.log(machineTable(machine));
  console.log(`\nJSON: ${jsonFile}`);
  return errors.length ? 1 : 0;
}

function breakdownTable() {
  const lines = [];
  for (const e of cfg.engines) {
    const b = breakdown[e];
    if (!b) continue;
    lines.push(`Overhead breakdown, ${e}, make kernelversion (medians over ${b.runner.n} runs, ms):`, '', '| step | ms |', '|---|---|');
    for (const [k, st] of Object.entries(b.steps)) lines.push(`| ${k} | ${st.median.toFixed(1)} |`);
    lines.push(`| make alone (fragment, runner = true) | ${b.makeOnly.median.toFixed(1)} |`);
    lines.push(`| bare engine command | ${b.bare.median.toFixed(1)} |`);
    lines.push(`| through the runner (bundle, as shipped) / unbundled ES modules | ${b.runner.median.toFixed(1)} / ${b.esm.median.toFixed(1)} |`);
    lines.push(`| (the probe's own cost: probed − runner) | ${(b.probedTotal.median - b.runner.median).toFixed(1)} |`);
    const c = b.cpuProfile;
    lines.push(`| cpu-prof: profile length / until first runner code | ${c.totalMs} / ${c.untilRunnerCodeMs} |`);
    lines.push(`| cpu-prof self time: ${Object.entries(c.selfMsMedian).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} ${v}`).join(', ')} | |`, '');
  }
  if (breakdown.startup) {
    lines.push('| start-up | median ms | IQR |', '|---|---|---|');
    for (const [k, st] of Object.entries(breakdown.startup)) lines.push(`| ${k} | ${st.median.toFixed(1)} | ${st.q1.toFixed(1)}–${st.q3.toFixed(1)} |`);
  }
  return lines.join('\n');
}

function machineTable(machine) {
  const q = machine.waitForQuiet;
  const lines = [
    `Machine: ${os.availableParallelism()} CPUs; ${q.skipped ? 'quiet wait skipped (--no-wait)' : q.quiet ? `quiet (no cc1/make for 30 s) after waiting ${q.waitedS} s` : `NOT quiet after waiting ${q.waitedS} s: ran anyway`}; ` +
      `gates before figures and builds: ${machine.gates.filter((g) => g.quiet).length} quiet, ${machine.gates.filter((g) => g.quiet === false).length} not quiet in time, ${machine.gates.filter((g) => g.skipped).length} skipped; ${machine.gateWaitS} s waited in them`,
    '',
    '| phase | s | load1 median (max) | CPU busy median | samples with others\' cc1/make | max others\' cc1 / make |',
    '|---|---|---|---|---|---|',
  ];
  for (const [p, r] of Object.entries(machine.phases)) {
    lines.push(`| ${p} | ${r.seconds} | ${r.load1.median.toFixed(2)} (${r.load1.max.toFixed(2)}) | ${Math.round(r.cpuBusy.median * 100)}% | ${r.samplesWithForeignBuilds}/${r.samples} | ${r.foreignCc1Max} / ${r.foreignMakeMax} |`);
  }
  return lines.join('\n');
}

let exiting = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (exiting) return;
    exiting = true;
    stopping.now = true;
    log(`${sig}: cleaning up`);
    tearDown().finally(() => process.exit(128 + os.constants.signals[sig]));
  });
}

main().then(
  async (code) => {
    await tearDown();
    process.exitCode = code;
  },
  async (err) => {
    log(`failed: ${err.stack ?? err}`);
    await tearDown();
    process.exitCode = 2;
  },
);
