// The commands compared: make through kbuild-container (as the README shows
// it), the native host build, the bare engine command the runner would run,
// and the kernel's own scripts/container with the engine command it runs.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseShellWords } from 'shell-quote';
import { which } from '../../src/host.js';
import { RUN_LABEL, WRAPPER_SCRIPT } from '../../src/plan/plan-run.js';
import type { Bench } from './context.js';
import { lastLines, runOk, type RunResult } from './proc.js';

/** What a build is asked to do: O=, goals, -j (0: none given). */
export interface BuildSpec {
  o: string;
  goals: string[];
  jobs?: number;
  /** Further make command-line variables (KBUILD_CONTAINER_RUNNER=...). */
  extraVars?: string[];
}

/** A command to time, started afresh each call. */
export type Timed = () => Promise<RunResult>;

const jobsArg = (jobs = 0): string[] => (jobs ? [`-j${jobs}`] : []);

/** make CONTAINER=image ... through Makefile.container, from the tree, as the README shows. */
export function oursArgs(b: Bench, engine: string, { o, goals, jobs = 0, extraVars = [] }: BuildSpec): string[] {
  return ['-C', b.tree, '-f', b.fragment, `CONTAINER=${b.cfg.image}`, `CONTAINER_RUNTIME=${engine}`, ...extraVars, ...jobsArg(jobs), `O=${o}`, ...goals];
}

export const ours =
  (b: Bench, engine: string, spec: BuildSpec, env = b.env): Timed =>
  () =>
    runOk('make', oursArgs(b, engine, spec), { env });

export const native =
  (b: Bench, { o, goals, jobs = 0 }: BuildSpec): Timed =>
  () =>
    runOk('make', ['-C', b.tree, ...jobsArg(jobs), `O=${o}`, ...goals], { env: b.env });

/**
 * Turn the runner's dry-run line into the bare engine command: the words
 * before the image stay (same mounts and flags), the wrapper script and its
 * three arguments ($0, start marker, FIFO) go, and the make after them runs
 * as the container's command. Pure, for tests.
 */
export function bareFromDryRun(printed: string, image: string, jobs = 0): { prefix: string[]; inner: string[] } {
  // make -C prints its own directory lines around the command.
  const line = printed
    .split('\n')
    .filter((l) => !/^make(\[\d+\])?: (Entering|Leaving) directory/.test(l))
    .join('\n');
  const words = parseShellWords(line.trim());
  if (!words.every((w): w is string => typeof w === 'string')) throw new Error(`unexpected dry-run output: ${printed}`);
  const at = words.indexOf(WRAPPER_SCRIPT);
  if (at < 3 || words[at - 3] !== image || words[at - 2] !== 'sh' || words[at - 1] !== '-c') throw new Error(`no wrapper in the dry-run output: ${printed}`);
  // After the script: its $0, the start marker, the jobserver FIFO and the Makefile to check (plan-run.ts).
  const inner = words.slice(at + 5).filter((w) => !w.startsWith('--jobserver-'));
  if (jobs && !inner.some((w) => /^-j/.test(w))) inner.splice(1, 0, `-j${jobs}`);
  // No descriptors are handed in: the bare make runs its own jobs.
  const prefix = words.slice(0, at - 2).filter((w) => !w.startsWith('--preserve-fds'));
  return { prefix, inner };
}

/** The bare engine command of one run numbered `n`: a fresh name, and our label renamed so nobody's leak check counts it. */
export function bareArgv(b: Bench, { prefix, inner }: { prefix: string[]; inner: string[] }, n: number | string): [string, string[]] {
  const name = b.containerName(n);
  const args = prefix
    .slice(1)
    .map((w) => (w.startsWith('--name=') ? `--name=${name}` : w.startsWith(`--label=${RUN_LABEL}=`) ? `--label=io.kbuild-container.bench=${n}` : w));
  return [prefix[0], [...args, ...inner]];
}

/** The engine command the runner would execute (its dry run), with a plain make instead of its wrapper. */
export async function bareFromPlan(b: Bench, engine: string, spec: BuildSpec): Promise<{ argv: (n: number | string) => [string, string[]]; run: Timed }> {
  const r = await runOk('make', oursArgs(b, engine, spec), { env: { ...b.env, CONTAINER_DRYRUN: '1' }, capture: true });
  const words = bareFromDryRun(r.stdout, b.cfg.image, spec.jobs);
  const argv = (n: number | string): [string, string[]] => bareArgv(b, words, n);
  return {
    argv,
    run: () => {
      const [file, args] = argv(b.next());
      return runOk(file, args, { env: b.env });
    },
  };
}

// The kernel's scripts/container, run with the system Python (>= 3.10) rather
// than whatever python3 shim comes first on PATH; O= must be inside the tree.
export const UPSTREAM_PYTHON = '/usr/bin/python3';
export const upstreamO = (name: string): string => `.kbc-bench/${name}`;

export function upstreamArgs(b: Bench, engine: string, { o, goals, jobs = 0 }: BuildSpec, verbose = false): string[] {
  return [
    path.join(b.tree, 'scripts/container'),
    ...(verbose ? ['-v'] : []),
    '-r',
    engine,
    '-i',
    b.cfg.image,
    '--',
    'make',
    ...jobsArg(jobs),
    `O=${o}`,
    ...goals,
  ];
}

export const upstream =
  (b: Bench, engine: string, spec: BuildSpec): Timed =>
  () =>
    runOk(UPSTREAM_PYTHON, upstreamArgs(b, engine, spec), { cwd: b.tree, env: b.env });

/** The engine command scripts/container runs (from its own -v log), with a fresh name each time. */
export async function upstreamBare(b: Bench, engine: string, spec: BuildSpec): Promise<Timed> {
  const r = await runOk(UPSTREAM_PYTHON, upstreamArgs(b, engine, spec, true), { cwd: b.tree, env: b.env });
  const line = r.stderr.split('\n').find((l) => l.includes('command: '));
  if (!line) throw new Error(`scripts/container -v printed no command: ${lastLines(r.stderr, 4)}`);
  const words = line
    .slice(line.indexOf('command: ') + 9)
    .trim()
    .split(' '); // it joins with spaces, unquoted
  const file = which(words[0], b.env.PATH);
  if (!file) throw new Error(`scripts/container runs ${words[0]}, which is not on PATH`);
  return () => {
    const name = b.containerName(b.next());
    const args = words.slice(1).map((w, i, a) => (a[i - 1] === '--name' ? name : w));
    return runOk(file, args, { env: b.env, cwd: b.tree });
  };
}

/** ours-ENGINE, upstream-ENGINE or native: how that tool builds `spec`. */
export function toolCommand(b: Bench, kind: string, spec: BuildSpec): Timed {
  if (kind === 'native') return native(b, spec);
  const engine = kind.split('-')[1];
  return kind.startsWith('upstream') ? upstream(b, engine, spec) : ours(b, engine, spec);
}

/** O= for a tool's build named `name`: scripts/container needs it inside the tree. */
export const outFor = (b: Bench, kind: string, name: string): string => (kind.startsWith('upstream') ? upstreamO(name) : b.outDir(name));

/** A finished build for the tool, from the full-build figure or made now (untimed). */
export async function finishedDir(b: Bench, kind: string): Promise<string> {
  if (b.finished[kind]) return b.finished[kind];
  const o = outFor(b, kind, `ready-${kind}`);
  if (!fs.existsSync(path.resolve(b.tree, o, 'arch/x86/boot/bzImage'))) {
    b.log(`  (building ${o} untimed first)`);
    await toolCommand(b, kind, { o, goals: ['tinyconfig', 'bzImage'], jobs: b.cfg.jobs })();
  }
  return (b.finished[kind] = o);
}
