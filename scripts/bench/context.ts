// One run of the benchmark: where it works, the environment its commands get,
// what it has found so far (rows, raw samples, breakdown, errors), and what it
// must clean up. Every figure module takes this and adds rows to it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MachineSampler } from './machine.js';
import type { Config } from './options.js';
import { now, sleep, stopping } from './proc.js';
import type { Summary } from './stats.js';

/** One line of the results table (and of the JSON's rows; key order as printed). */
export interface Row {
  figure: string;
  tool: string;
  measured: string;
  spread: string;
  machine?: string;
  goal: string;
  verdict: string;
  /** The figure compared with the goal, for scripts reading the JSON. */
  value?: number;
}

/** Where the time between `make` and the engine goes, for one engine. */
export interface EngineBreakdown {
  steps: Record<string, Summary>;
  makeOnly: Summary;
  bare: Summary;
  runner: Summary;
  esm: Summary;
  probedTotal: Summary;
  cpuProfile: CpuProfileFigures;
}

export interface CpuProfileFigures {
  n: number;
  totalMs: number;
  untilRunnerCodeMs: number;
  selfMsMedian: Record<string, number>;
  topOfFirst: { name: string; ms: number }[] | undefined;
}

/** A gate before a figure or a full build: waited for others' builds to end, or skipped. */
export interface Gate {
  label: string;
  skipped?: true;
  quiet?: boolean;
  waitedS?: number;
}

/** The repository: the directory above this file's that holds the Makefile fragment. */
function findRepo(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'make/Makefile.container')) && fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no repository (make/Makefile.container) above ${from}`);
  }
}

// Only the variables a user's shell would have: no make or runner state from whoever started us.
const NOT_FROM_CALLER = /^(MAKE|MFLAGS|MAKEFLAGS|MAKELEVEL|MAKEOVERRIDES|NODE_OPTIONS|CONTAINER|KBUILD_|KCONFIG_|O$|ARCH$|CROSS_COMPILE$|LLVM$)/;

/** The caller's environment without make's, Kbuild's or the runner's variables, plus `extra`. */
export function cleanEnv(base: NodeJS.ProcessEnv, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const e = { ...base, ...extra };
  for (const k of Object.keys(e)) if (NOT_FROM_CALLER.test(k)) delete e[k];
  return e;
}

/** The state of one benchmark run. */
export class Bench {
  readonly repo = findRepo(path.dirname(fileURLToPath(import.meta.url)));
  readonly fragment = path.join(this.repo, 'make/Makefile.container');
  /** What npm run build ships, built by bench.sh from the working tree. */
  readonly runner = path.join(this.repo, '.bench/dist/kbuild-container.cjs');
  /** The same code unbundled, to show what bundling saves. */
  readonly esmCli = path.join(this.repo, '.bench/dist/cli.js');
  readonly work: string;
  /** Writable overlay view of the pristine tree. */
  readonly tree: string;
  /** kbuild-container -> runner, as after npm install -g. */
  readonly bin: string;
  /** kbuild-container -> esmCli. */
  readonly esmBin: string;
  readonly env: NodeJS.ProcessEnv;
  readonly esmEnv: NodeJS.ProcessEnv;
  /** node reads this file at every start; Makefile.container keeps it from the runner. */
  readonly caCerts = process.env.NODE_EXTRA_CA_CERTS;
  readonly noCaEnv: NodeJS.ProcessEnv;

  readonly rows: Row[] = [];
  readonly raw: Record<string, unknown> = {};
  readonly errors: { figure: string; error: string }[] = [];
  readonly breakdown: { startup?: Record<string, Summary>; engines: Record<string, EngineBreakdown> } = { engines: {} };
  readonly sampler: MachineSampler;
  readonly gates: Gate[] = [];
  gateSpentMs = 0;

  /** Detached process groups we started (stop trials). */
  readonly leaders = new Set<number>();
  /** `engine name` of containers we may have left. */
  readonly containers = new Set<string>();
  overlayMounted = false;
  /** Numbers fresh names and output directories. */
  private counter = 0;
  /** kind -> O= of a finished tinyconfig build by that tool. */
  readonly finished: Record<string, string> = {};

  constructor(readonly cfg: Config) {
    this.work = cfg.work;
    this.tree = path.join(this.work, 'ovl/merged');
    this.bin = path.join(this.work, 'bin');
    this.esmBin = path.join(this.work, 'esm-bin');
    this.env = cleanEnv(process.env, { PATH: `${this.bin}:${process.env.PATH}` });
    this.esmEnv = { ...this.env, PATH: `${this.esmBin}:${process.env.PATH}` };
    this.noCaEnv = { ...this.env };
    delete this.noCaEnv.NODE_EXTRA_CA_CERTS;
    this.sampler = new MachineSampler(this.work);
  }

  /** The next number for a fresh container name or output directory. */
  next(): number {
    return ++this.counter;
  }

  /** A name for a bare-engine container of this run; tear-down finds them by the prefix. */
  containerName(n: number | string): string {
    return `${this.containerPrefix()}${n}`;
  }

  containerPrefix(): string {
    return `kbench-${process.pid.toString(36)}-`;
  }

  outDir(name: string): string {
    return path.join(this.work, 'out', name);
  }

  log(msg: string): void {
    process.stderr.write(`bench: ${msg}\n`);
  }

  addRow(row: Row): void {
    this.rows.push(row);
    this.log(`  ${row.tool}: ${row.measured}  (${row.spread})`);
  }

  /**
   * Others build on this machine now and then: before a figure or a full build,
   * wait (within limits) until the sampler has seen nobody else's cc1 or make
   * for 20 s.
   */
  async gate(label: string): Promise<void> {
    const budget = Math.min(this.cfg.gateMaxMs, this.cfg.gateBudgetMs - this.gateSpentMs);
    if (budget <= 0) {
      this.gates.push({ label, skipped: true });
      return;
    }
    const start = now();
    let quiet: boolean;
    while ((quiet = now() - this.sampler.lastOthersAt >= 20000) === false && now() - start < budget && !stopping.now) await sleep(1000);
    const waitedS = Math.round((now() - start) / 1000);
    this.gateSpentMs += now() - start;
    this.gates.push({ label, quiet, waitedS });
    if (!quiet) this.log(`  (${label}: others still building after ${waitedS} s; measuring anyway)`);
    else if (waitedS > 1) this.log(`  (waited ${waitedS} s for others' builds to end)`);
  }

  /** Run one figure; a failure becomes an error row instead of ending the benchmark. */
  async figure(phase: string, name: string, fn: () => Promise<unknown>): Promise<void> {
    this.sampler.enter(phase);
    this.log(name);
    const first = this.rows.length;
    await this.gate(name);
    const mark = this.sampler.mark();
    try {
      await fn();
      const d = this.sampler.since(mark);
      const others = d.withOthers === 0 ? `quiet (${d.samples} samples)` : `others' cc1/make in ${d.withOthers}/${d.samples} samples`;
      for (const r of this.rows.slice(first)) r.machine ??= others;
    } catch (err) {
      const message = (err as Error).message;
      this.errors.push({ figure: name, error: message });
      this.rows.push({ figure: name, tool: '', measured: 'failed', spread: message.slice(0, 200), goal: '', verdict: 'error' });
      this.log(`  failed: ${process.env.KBC_BENCH_DEBUG ? (err as Error).stack : message}`);
    }
  }
}

/** Seconds, two decimals, from milliseconds. */
export const s = (x: number): string => `${(x / 1000).toFixed(2)} s`;
/** Milliseconds, one decimal. */
export const ms = (x: number | undefined): number => Math.round((x ?? NaN) * 10) / 10;
export const iqr = (st: Summary, f: (x: number) => string = s): string => `IQR ${f(st.q1)}–${f(st.q3)}, min–max ${f(st.min)}–${f(st.max)}, n=${st.n}`;
export const verdict = (ok: boolean): string => (ok ? 'meets goal' : 'misses goal');

/** The tool column: kbuild-container / ENGINE, scripts/container / ENGINE, or native. */
export function toolName(kind: string): string {
  if (kind.startsWith('ours-')) return `kbuild-container / ${kind.slice(5)}`;
  if (kind.startsWith('upstream-')) return `scripts/container / ${kind.slice(9)}`;
  return kind;
}
