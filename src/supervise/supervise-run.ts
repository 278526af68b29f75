// Spawn the engine client, forward signals, and make sure that whatever ends
// the run — the build, a signal, an engine failure — the container is gone.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { InfraError, UserError } from '../errors.js';
import type { Engine } from '../plan/engines/index.js';
import type { RunPlan } from '../plan/plan-run.js';
import { startLifeline, type Lifeline } from './lifeline.js';
import { isAlive, recordDir, removeRecord, staleRecords, writeRecord } from './run-record.js';

export interface SuperviseOptions {
  /** How long the build gets to stop by itself after a signal before the container is killed. */
  graceMs?: number;
  /** Where run records live (tests point this elsewhere). */
  recordDirectory?: string;
  /** Where engine text and our notices go. */
  stderr?: NodeJS.WritableStream;
  /** The signals that stop a run. */
  signals?: NodeJS.Signals[];
}

export interface RunResult {
  /** What the runner should exit with: the inner make's status, or 128+n after a signal. */
  exitCode: number;
  /** The signal that stopped the run, if one did. */
  signal?: NodeJS.Signals;
}

// Podman and Docker exit 125 when the engine itself failed, 126/127 when the command could not run.
const ENGINE_FAILURE = new Set([125, 126, 127]);

/** Run the planned container to the end and return the status to exit with. */
export async function superviseRun(plan: RunPlan, engine: Engine, image: string, options: SuperviseOptions = {}): Promise<RunResult> {
  const { graceMs = 500, stderr = process.stderr, signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] } = options;
  const dir = options.recordDirectory ?? recordDir();

  // 1. Remove what earlier runs killed while the engine was down left behind.
  await removeStaleContainers(dir, stderr);

  // 2. Record the run and start the lifeline before the container can exist.
  const recordFile = writeRecord(dir, { name: plan.name, enginePath: plan.file, removeArgs: plan.removeArgs, runnerPid: process.pid });
  const lifeline = startLifeline(plan.file, plan.removeArgs, recordFile);

  // 3. Start the engine client: stdout straight through, stderr through us until the container runs.
  const client = spawn(plan.file, plan.args, {
    stdio: [plan.attachStdin ? 'inherit' : 'ignore', 'inherit', plan.interactive ? 'inherit' : 'pipe', ...plan.passFds],
  });
  const stderrGate = plan.interactive ? undefined : new StartGate(plan.startMarker, stderr);
  client.stderr?.on('data', (chunk: Buffer) => stderrGate?.push(chunk));

  // 4. Signals: let the build stop as make would, then kill the container if it lingers.
  const stop = new Stopper(client, plan, graceMs);
  const handlers = signals.map((sig) => {
    const handler = () => stop.begin(sig);
    process.on(sig, handler);
    return [sig, handler] as const;
  });

  let exit: { code: number | null; signal: NodeJS.Signals | null };
  try {
    if (client.pid !== undefined) lifeline.announceClient(client.pid);
    exit = await waitForExit(client);
  } finally {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }

  // 5. Clean up exactly once: the container is gone when the client returned normally.
  await stop.settled();
  finish(lifeline, recordFile, stop.signal !== undefined && !stderrGate?.started);

  if (stop.signal) return { exitCode: signalStatus(stop.signal), signal: stop.signal };
  const command = [plan.file, ...plan.args];
  if (exit.code === null) {
    if (stderrGate && !stderrGate.started) {
      // The engine client itself died (no container ran): say so, with what it printed.
      throw new InfraError(`${engine.name} was killed by ${exit.signal} before the container started${lastLine(stderrGate.buffered(), ': ')}`, {
        command,
        signal: exit.signal ?? undefined,
      });
    }
    return { exitCode: signalStatus(exit.signal) };
  }
  if (stderrGate && !stderrGate.started && ENGINE_FAILURE.has(exit.code)) {
    const text = stderrGate.buffered();
    const explained = engine.explainFailure(text, image);
    if (explained) throw new UserError(explained.message, explained.hint);
    throw new InfraError(`${engine.name} failed (exit ${exit.code})${lastLine(text, ': ')}`, {
      exitCode: exit.code,
      command,
      hint: 'run the command above to see all the engine printed',
    });
  }
  stderrGate?.flush();
  return { exitCode: exit.code };
}

function finish(lifeline: Lifeline, recordFile: string, unsure: boolean): void {
  if (unsure) {
    // Interrupted before the container announced itself: it may still be
    // created; the watcher removes it after we are gone.
    lifeline.abandon();
    return;
  }
  removeRecord(recordFile);
  lifeline.release();
}

/** Forwards a stop request once, then escalates to removing the container. */
class Stopper {
  signal?: NodeJS.Signals;
  private removal?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private exited = false;

  constructor(
    private client: ChildProcess,
    private plan: RunPlan,
    private graceMs: number,
  ) {
    client.once('exit', () => {
      this.exited = true;
      if (this.timer) clearTimeout(this.timer);
    });
  }

  begin(sig: NodeJS.Signals): void {
    if (this.signal) return; // the first signal decides; the container already has it
    this.signal = sig;
    // The client proxies it to the container's init, which hands it to our wrapper.
    if (!this.exited) this.client.kill('SIGTERM');
    this.timer = setTimeout(() => this.remove(), this.graceMs);
  }

  /** Kill and remove the container; runs at most once. */
  remove(): Promise<void> {
    this.removal ??= new Promise<void>((resolve) => {
      const rm = spawn(this.plan.file, this.plan.removeArgs, { stdio: 'ignore' });
      rm.on('error', () => resolve());
      rm.on('exit', () => {
        // The client normally exits when its container goes; make sure it does.
        const force = setTimeout(() => this.client.kill('SIGKILL'), 2000);
        force.unref();
        resolve();
      });
    });
    return this.removal;
  }

  async settled(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.removal) await this.removal;
  }
}

/** Holds the engine's stderr until the container says it started, then passes bytes through. */
export class StartGate {
  started = false;
  private held: Buffer[] = [];
  private marker: Buffer;

  constructor(
    marker: string,
    private out: NodeJS.WritableStream,
  ) {
    this.marker = Buffer.from(marker + '\n');
  }

  push(chunk: Buffer): void {
    if (this.started) {
      this.out.write(chunk);
      return;
    }
    this.held.push(chunk);
    const all = Buffer.concat(this.held);
    const at = all.indexOf(this.marker);
    if (at < 0) {
      this.held = [all];
      return;
    }
    this.started = true;
    this.held = [];
    if (at > 0) this.out.write(all.subarray(0, at));
    const rest = all.subarray(at + this.marker.length);
    if (rest.length > 0) this.out.write(rest);
  }

  buffered(): string {
    return Buffer.concat(this.held).toString('utf8');
  }

  flush(): void {
    if (this.held.length > 0) this.out.write(Buffer.concat(this.held));
    this.held = [];
  }
}

function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new InfraError(`cannot start ${child.spawnfile}: ${err.message}`, { command: child.spawnargs, cause: err })));
    // 'close' waits for stderr to drain, so nothing the build printed is lost.
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function lastLine(text: string, before: string): string {
  const line = text.trim().split('\n').pop();
  return line ? before + line : '';
}

/** The status a shell gives a process a signal ended: 128+N, N from node's own table of this platform's numbers. */
export function signalStatus(signal: NodeJS.Signals | null): number {
  return 128 + ((signal && constants.signals[signal]) || 0);
}

/** Remove containers of runs that died while the engine could not remove them. */
async function removeStaleContainers(dir: string, stderr: NodeJS.WritableStream): Promise<void> {
  const stale = staleRecords(dir, isAlive);
  for (const { file, record } of stale) {
    const ok = await new Promise<boolean>((resolve) => {
      const rm = spawn(record.enginePath, record.removeArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
      let text = '';
      rm.stderr!.on('data', (d: Buffer) => (text += d.toString()));
      rm.on('error', () => resolve(false));
      rm.on('close', (code) => resolve(code === 0 || /o such container/.test(text)));
    });
    if (ok) {
      removeRecord(file);
      stderr.write(`kbuild-container: removed container ${record.name} left behind by an earlier run\n`);
    }
  }
}
