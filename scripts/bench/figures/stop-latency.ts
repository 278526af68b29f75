// Figure: stop latency. A real build is stopped as a user would (Ctrl-C to the
// process group, SIGTERM to the launcher) and timed until nothing of it is
// left: no process, no container.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ENGINES } from '../../../src/plan/engines/index.js';
import { ours, oursArgs, upstream, upstreamArgs, upstreamO, UPSTREAM_PYTHON } from '../commands.js';
import { ms, s, toolName, verdict, type Bench } from '../context.js';
import { now, run, sleep, stopping } from '../proc.js';
import { cmdline, cwdOf, descendants, listProcesses, type Proc } from '../procfs.js';
import { summarize } from '../stats.js';

interface Trial {
  kind: string;
  engine: string;
  signal: NodeJS.Signals;
  /** The whole process group, or the launcher alone. */
  target: 'group' | 'runner';
}

export interface TrialResult {
  stopped: boolean;
  callerMs: number | undefined;
  processesMs: number | undefined;
  containerMs: number | undefined;
  allGoneMs: number | undefined;
  leftovers: string[];
}

/** The container name an engine client was started with (`--name X` or `--name=X`), if this is `ENGINE run`. */
export function containerNameOf(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((w) => w === '--name' || w.startsWith('--name='));
  if (i < 0 || !argv.includes('run')) return undefined;
  return argv[i].startsWith('--name=') ? argv[i].slice(7) : argv[i + 1];
}

/** `ENGINE ...` that succeeds while the container exists. */
const existsArgs = (engine: string, name: string): string[] =>
  engine === 'podman' ? ['container', 'exists', name] : ['container', 'inspect', '--format', '{{.Id}}', name];

/** The runner's own way to remove a container at once. */
const removeArgs = (engine: string, name: string): string[] => ENGINES[engine].removeArgs(name);

/**
 * Start a real build, wait until compilers run in the container, send the
 * signal, and time until the launcher returned, no process of the run is left
 * (launcher, make, engine client, lifeline, conmon/shim, anything in the
 * container) and the engine no longer knows the container.
 */
async function stopTrial(b: Bench, { kind, engine, signal, target }: Trial): Promise<TrialResult> {
  if (stopping.now) throw new Error('the benchmark is stopping');
  const up = kind.startsWith('upstream');
  const n = b.next();
  const o = up ? upstreamO(`stop-${n}`) : b.outDir(`stop-${n}`);
  const oInside = up ? path.join('/src', o) : o;
  fs.rmSync(path.resolve(b.tree, o), { recursive: true, force: true });
  // Configured first (untimed), so the signal lands while kernel code compiles.
  const configure = { o, goals: ['tinyconfig'], jobs: b.cfg.jobs };
  await (up ? upstream(b, engine, configure) : ours(b, engine, configure))();
  const spec = { o, goals: ['bzImage'], jobs: b.cfg.jobs };
  const [file, args, cwd] = up ? [UPSTREAM_PYTHON, upstreamArgs(b, engine, spec), b.tree] : ['make', oursArgs(b, engine, spec), undefined];
  const leader = spawn(file, args, { cwd, env: b.env, detached: true, stdio: 'ignore' });
  const pgid = leader.pid;
  if (pgid === undefined) throw new Error(`${kind}: ${file} did not start`);
  b.leaders.add(pgid);
  let leaderExit: number | undefined;
  leader.once('exit', () => (leaderExit = now()));

  // 1. Wait for a compiler of this build; its cgroup names the container.
  let id: string | undefined;
  let name: string | undefined;
  const deadline = now() + 240000;
  while (!id) {
    if (now() > deadline || leaderExit) throw new Error(`${kind}: no compiler seen before ${leaderExit ? 'the build ended' : 'the deadline'}`);
    await sleep(100);
    for (const p of listProcesses()) {
      if (p.comm !== 'cc1') continue;
      const where = cwdOf(p.pid) ?? '';
      if (where !== oInside && !where.startsWith(oInside + '/')) continue;
      if (!cmdline(p.pid).includes('__KERNEL__')) continue; // kernel code, not a host tool
      try {
        id = /[0-9a-f]{64}/.exec(fs.readFileSync(`/proc/${p.pid}/cgroup`, 'utf8'))?.[0];
      } catch {
        continue; // the compiler finished meanwhile
      }
      if (id) break;
    }
  }
  const group = listProcesses().filter((p) => p.pgid === pgid);
  for (const p of group) name = containerNameOf(cmdline(p.pid)) ?? name;
  if (!name) throw new Error(`${kind}: engine client not found in the process group`);
  const container = name;
  const cid = id;
  b.containers.add(`${engine} ${container}`);
  await sleep(1000); // compilers in flight, as in the middle of a build

  const runnerPid = up ? pgid : group.find((p) => p.comm === 'node')?.pid;
  if (target === 'runner' && !runnerPid) throw new Error(`${kind}: runner process not found`);

  // 2. Signal, then watch /proc and the engine until everything is gone.
  const t0 = now();
  if (target === 'group') process.kill(-pgid, signal);
  else process.kill(runnerPid as number, signal);

  const isRoot = (p: Proc): boolean =>
    p.pid !== process.pid && (p.pgid === pgid || (p.ppid !== process.pid && cmdline(p.pid).some((w) => w.includes(container) || w.includes(cid))));
  const alive = (): Proc[] => descendants(listProcesses(), isRoot).filter((p) => p.state !== 'Z');
  let procsGone: number | undefined;
  let ctrGone: number | undefined;
  let left: Proc[] = [];
  const stopped = (): boolean => procsGone !== undefined && ctrGone !== undefined;
  const watchProcs = (async () => {
    while (now() - t0 < b.cfg.stopTimeoutMs) {
      left = alive();
      if (left.length === 0) procsGone ??= now();
      else procsGone = undefined;
      if (procsGone && ctrGone) return;
      await sleep(20);
    }
  })();
  const watchEngine = (async () => {
    while (now() - t0 < b.cfg.stopTimeoutMs) {
      const r = await run(engine, existsArgs(engine, container), { env: b.env });
      if (r.code !== 0) {
        ctrGone = r.end;
        return;
      }
    }
  })();
  await Promise.all([watchProcs, watchEngine]);
  // An exited launcher that node has not reaped yet is a zombie, which counts
  // as gone above: give its exit event a moment, or the caller's time is lost.
  if (leaderExit === undefined && stopped()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      leader.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  // 3. Whatever is left after the timeout is recorded, then removed.
  const leftovers = left.map((p) => `${p.pid} ${p.comm}`);
  if (!stopped()) {
    await run(engine, removeArgs(engine, container), { env: b.env });
    for (const p of alive()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sleep(500);
  }
  if (!leaderExit) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  b.leaders.delete(pgid);
  b.containers.delete(`${engine} ${container}`);
  fs.rmSync(path.resolve(b.tree, o), { recursive: true, force: true });
  return {
    stopped: stopped(),
    callerMs: leaderExit ? leaderExit - t0 : undefined,
    processesMs: procsGone ? procsGone - t0 : undefined,
    containerMs: ctrGone ? ctrGone - t0 : undefined,
    allGoneMs: stopped() ? Math.max(procsGone as number, ctrGone as number) - t0 : undefined,
    leftovers: stopped() ? [] : leftovers,
  };
}

export async function stopLatency(b: Bench, kind: string, engine: string): Promise<void> {
  const up = kind.startsWith('upstream');
  const ways: [NodeJS.Signals, Trial['target'], string][] = [
    ['SIGINT', 'group', 'Ctrl-C (SIGINT to the process group)'],
    ['SIGTERM', 'runner', `SIGTERM to the ${up ? 'python process' : 'runner'}`],
  ];
  for (const [signal, target, label] of ways) {
    const trials: TrialResult[] = [];
    for (let i = 0; i < b.cfg.stopReps; i++) {
      const t = await stopTrial(b, { kind, engine, signal, target });
      trials.push(t);
      b.log(
        `  ${label}: ${t.stopped ? `all gone after ${ms(t.allGoneMs)} ms (caller ${ms(t.callerMs)} ms, processes ${ms(t.processesMs)} ms, container ${ms(t.containerMs)} ms)` : `NOT stopped within ${b.cfg.stopTimeoutMs / 1000} s: ${t.leftovers.join(', ')}`}`,
      );
    }
    b.raw[`stop ${kind} ${signal}`] = trials;
    const ok = trials.filter((t) => t.stopped);
    const st = summarize(ok.map((t) => t.allGoneMs));
    const caller = summarize(trials.map((t) => t.callerMs));
    const allStopped = ok.length === trials.length;
    b.addRow({
      figure: `stop latency: ${label} during a build → nothing left`,
      tool: toolName(kind),
      measured: allStopped ? s(st.median) : `${trials.length - ok.length}/${trials.length} trials not stopped within ${b.cfg.stopTimeoutMs / 1000} s`,
      spread: `${ok.length ? `all-gone ${s(st.min)}–${s(st.max)}; ` : ''}caller returned ${Number.isNaN(caller.median) ? 'never' : `${s(caller.min)}–${s(caller.max)}`}; n=${trials.length}${allStopped ? '' : `; left: ${trials.find((t) => !t.stopped)?.leftovers.join(', ')}`}`,
      goal: up ? '' : '≤ 1 s',
      verdict: up ? 'reported' : verdict(allStopped && st.max <= 1000),
      value: allStopped ? st.median / 1000 : undefined,
    });
  }
}
