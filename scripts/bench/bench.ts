// The benchmark behind `npm run bench` (scripts/bench.sh builds the runner
// into .bench/dist and this harness into .bench/harness, then starts it).
// Measures, in one run on this machine, kbuild-container against the bare
// engine, the host's native build and the kernel's own scripts/container, and
// prints a table plus a JSON file. One module per figure under figures/.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { which } from '../../src/host.js';
import { Bench } from './context.js';
import { breakdownTable, machineTable, resultsTable, type MachineReport } from './report.js';
import { waitForQuiet, type QuietWait } from './machine.js';
import { OptionError, parseOptions, USAGE, type Options } from './options.js';
import { stopping } from './proc.js';
import { setUp, tearDown, versions } from './setup.js';
import { startup, timeline } from './figures/breakdown.js';
import { fullBuilds } from './figures/full-build.js';
import { memoryShort } from './figures/memory.js';
import { noop } from './figures/noop.js';
import { overhead } from './figures/overhead.js';
import { stopLatency } from './figures/stop-latency.js';
import { upstreamCannot } from './figures/upstream-fail.js';

async function main(opts: Options, b: Bench): Promise<number> {
  const { cfg } = opts;
  if (process.getuid?.() !== 0) throw new Error('run as root: the tree is an overlay mount');
  const started = new Date();
  let quiet: QuietWait = { quiet: undefined, waitedS: 0, skipped: true };
  if (!opts.noWait) {
    b.log('waiting until no cc1 and no make has run for 30 s (others are building)');
    quiet = await waitForQuiet({ quietMs: 30000, maxMs: opts.waitMaxMin * 60000, log: (m) => b.log(m) });
    b.log(quiet.quiet ? `machine quiet after ${quiet.waitedS} s` : `machine never got quiet in ${quiet.waitedS} s: running anyway`);
  }
  await setUp(b);
  const meta = { started: started.toISOString(), config: { ...cfg, phases: [...cfg.phases] }, versions: await versions(b) };
  const P = cfg.phases;
  const kindsOurs = cfg.engines.map((e) => [`ours-${e}`, e] as const);
  const upDocker = cfg.upstream && cfg.engines.includes('docker') ? [['upstream-docker', 'docker'] as const] : [];
  const compared = [...kindsOurs, ...upDocker];

  if (cfg.upstream && cfg.engines.includes('podman')) {
    await b.figure('upstream-fail', 'scripts/container with rootful podman', () => upstreamCannot(b, 'podman', 'podman (rootful)'));
  }
  if (P.has('full')) await b.figure('full', 'full builds', () => fullBuilds(b));
  if (P.has('overhead'))
    for (const [k, e] of compared) await b.figure(k.startsWith('up') ? 'upstream-overhead' : 'overhead', `wrapper overhead ${k}`, () => overhead(b, k, e));
  if (P.has('noop')) for (const [k, e] of compared) await b.figure(k.startsWith('up') ? 'upstream-noop' : 'noop', `no-op rebuild ${k}`, () => noop(b, k, e));
  if (P.has('memory')) for (const [, e] of kindsOurs) await b.figure('memory', `runner memory ${e}`, () => memoryShort(b, e));
  if (P.has('breakdown')) {
    await b.figure('breakdown', 'start-up: node alone, the runner bundled and not', () => startup(b));
    for (const [, e] of kindsOurs) await b.figure('breakdown', `overhead breakdown ${e}`, () => timeline(b, e));
  }
  if (P.has('stop'))
    for (const [k, e] of compared) await b.figure(k.startsWith('up') ? 'upstream-stop' : 'stop', `stop latency ${k}`, () => stopLatency(b, k, e));

  const machine: MachineReport = {
    waitForQuiet: quiet,
    gates: b.gates,
    gateWaitS: Math.round(b.gateSpentMs / 1000),
    phases: b.sampler.report(),
    loadAtEnd: fs.readFileSync('/proc/loadavg', 'utf8').trim(),
  };
  const breakdown = { ...(b.breakdown.startup ? { startup: b.breakdown.startup } : {}), ...b.breakdown.engines };
  const result = { meta: { ...meta, finished: new Date().toISOString() }, machine, rows: b.rows, breakdown, raw: b.raw, errors: b.errors };
  const jsonFile = path.resolve(opts.json ?? path.join(b.repo, '.bench', `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`));
  fs.mkdirSync(path.dirname(jsonFile), { recursive: true });
  fs.writeFileSync(jsonFile, JSON.stringify(result, null, 2) + '\n');

  console.log(resultsTable(b.rows));
  console.log('');
  console.log(breakdownTable(b));
  console.log('');
  console.log(machineTable(machine, os.availableParallelism()));
  console.log(`\nJSON: ${jsonFile}`);
  return b.errors.length ? 1 : 0;
}

function start(): void {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2), {
      pid: process.pid,
      cpus: os.availableParallelism(),
      installed: (command) => which(command) !== undefined,
      hasUpstream: (tree) => fs.existsSync(path.join(tree, 'scripts/container')),
    });
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`bench: ${err.message}\n`);
    process.exitCode = 2;
    return;
  }
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const b = new Bench(opts.cfg);
  const done = (): Promise<void> => tearDown(b, { keepWork: opts.keepWork });

  let exiting = false;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (exiting) return;
      exiting = true;
      stopping.now = true;
      b.log(`${sig}: cleaning up`);
      void done().finally(() => process.exit(128 + os.constants.signals[sig]));
    });
  }

  main(opts, b).then(
    async (code) => {
      await done();
      process.exitCode = code;
    },
    async (err: Error) => {
      b.log(`failed: ${err.stack ?? err}`);
      await done();
      process.exitCode = 2;
    },
  );
}

start();
