// Figure: where the runner's start-up goes. node's own floor and the runner's
// --help, bundled and not; then, per engine, timestamps from inside the runner
// (probe.ts) split `make kernelversion` into steps, and a CPU profile says
// what node did before the runner's first line ran.
import fs from 'node:fs';
import path from 'node:path';
import { bareFromPlan, finishedDir, ours, oursArgs, type BuildSpec } from '../commands.js';
import { iqr, type Bench, type CpuProfileFigures } from '../context.js';
import { summarizeProfile } from '../cpuprof.js';
import type { ProbeRecord } from '../probe.js';
import { runOk } from '../proc.js';
import { alternate, summarize } from '../stats.js';

/**
 * node start-up: the floor any node launcher pays (start, spawn /bin/true,
 * exit), with and without NODE_EXTRA_CA_CERTS, and the runner's --help
 * bundled (what ships) and unbundled.
 */
export async function startup(b: Bench): Promise<void> {
  const spawnTrue = "require('node:child_process').spawn('/bin/true', { stdio: 'ignore' })";
  const env = b.noCaEnv;
  const commands: Record<string, () => ReturnType<typeof runOk>> = {
    'node -e 0': () => runOk('node', ['-e', '0'], { env }),
    'node: spawn /bin/true, wait, exit': () => runOk('node', ['-e', spawnTrue], { env }),
    'runner --help, bundle (dist/kbuild-container.cjs)': () => runOk('node', [b.runner, '--help'], { env }),
    'runner --help, ES modules (dist/cli.js)': () => runOk('node', [b.esmCli, '--help'], { env }),
  };
  if (b.caCerts) commands[`node -e 0 with NODE_EXTRA_CA_CERTS=${b.caCerts}`] = () => runOk('node', ['-e', '0'], { env: b.env });
  const samples = await alternate(commands, { runs: b.cfg.runs * 2, warmup: b.cfg.warmup });
  const startup = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v.map((r) => r.ms))]));
  b.breakdown.startup = startup;
  for (const [k, st] of Object.entries(startup)) b.log(`  ${k}: ${st.median.toFixed(1)} ms (${iqr(st, (x) => `${x.toFixed(1)}`)})`);
}

/** The steps of one probed run, from the probe's record and the harness's own start and end. */
export function probeSteps(rec: ProbeRecord, run: { start: number; end: number; ms: number }, engine: string): Record<string, number> {
  const client = rec.spawns.find((sp) => sp.file.endsWith(engine));
  const first = rec.spawns[0];
  if (!client || !first) throw new Error(`the probe saw no ${engine} spawned by the runner (pid ${rec.pid})`);
  return {
    'make, sh and env until node starts': rec.nodeStart - run.start,
    "node start-up, incl. the probe's own --import (compare node -e 0)": rec.preload - rec.nodeStart,
    'modules, parse, plan, stale check, record (until lifeline spawn)': first.called - rec.preload,
    'lifeline spawn until client spawned': client.returned - first.called,
    'engine client (spawn to exit)': (client.exit ?? NaN) - client.returned,
    'client exit to close (stderr drained)': (client.close ?? NaN) - (client.exit ?? NaN),
    'close to process exit event (teardown)': (rec.exitEvent ?? NaN) - (client.close ?? NaN),
    'node exit and make exit (until make returns)': run.end - (rec.exitEvent ?? NaN),
    total: run.ms,
  };
}

/** Where the time between `make` and the engine goes, from timestamps inside the runner. */
export async function timeline(b: Bench, engine: string): Promise<void> {
  const o = await finishedDir(b, `ours-${engine}`);
  const spec: BuildSpec = { o, goals: ['kernelversion'] };
  const out = path.join(b.work, `probe-${engine}.jsonl`);
  fs.rmSync(out, { force: true });
  const probeEnv = { ...b.env, NODE_OPTIONS: `--import=${new URL('../probe.js', import.meta.url).href}`, KBC_BENCH_PROBE_OUT: out };
  const plan = await bareFromPlan(b, engine, spec);
  const samples = await alternate(
    {
      // make alone: the fragment with `true` as the runner.
      makeOnly: () => runOk('make', oursArgs(b, engine, { ...spec, extraVars: ['KBUILD_CONTAINER_RUNNER=true'] }), { env: b.env }),
      probed: ours(b, engine, spec, probeEnv),
      bare: plan.run,
      runner: ours(b, engine, spec),
      esm: ours(b, engine, spec, b.esmEnv),
    },
    { runs: b.cfg.runs, warmup: b.cfg.warmup },
  );
  const records = fs
    .readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ProbeRecord)
    .slice(-samples.probed.length);
  const steps = records.map((rec, i) => probeSteps(rec, samples.probed[i], engine));
  const med = (k: string) => summarize(steps.map((st) => st[k]));
  const figures = {
    steps: Object.fromEntries(Object.keys(steps[0]).map((k) => [k, med(k)])),
    makeOnly: summarize(samples.makeOnly.map((r) => r.ms)),
    bare: summarize(samples.bare.map((r) => r.ms)),
    runner: summarize(samples.runner.map((r) => r.ms)),
    esm: summarize(samples.esm.map((r) => r.ms)),
    probedTotal: summarize(samples.probed.map((r) => r.ms)),
    cpuProfile: await cpuProfiles(b, engine, spec),
  };
  b.breakdown.engines[engine] = figures;
  for (const [k, st] of Object.entries(figures.steps)) b.log(`  ${k}: ${st.median.toFixed(1)} ms`);
  b.log(
    `  kernelversion: runner ${figures.runner.median.toFixed(0)} ms, unbundled ${figures.esm.median.toFixed(0)} ms, bare ${figures.bare.median.toFixed(0)} ms, make alone ${figures.makeOnly.median.toFixed(0)} ms`,
  );
}

/** node --cpu-prof of the runner during kernelversion: loader time and self time by kind of code. */
async function cpuProfiles(b: Bench, engine: string, spec: BuildSpec): Promise<CpuProfileFigures> {
  const dir = path.join(b.work, `cpuprof-${engine}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  // --cpu-prof is refused in NODE_OPTIONS: make runs node with it as the runner command.
  const runner = `KBUILD_CONTAINER_RUNNER=node --cpu-prof --cpu-prof-dir=${dir} --cpu-prof-interval=100 ${b.runner}`;
  for (let i = 0; i < 5; i++) await runOk('make', oursArgs(b, engine, { ...spec, extraVars: [runner] }), { env: b.env });
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
