// Timed child processes on the epoch clock the runner's probe uses, and the
// set of children still running, so a stopped benchmark can stop them too.
import { spawn, type ChildProcess } from 'node:child_process';

/** Milliseconds since the epoch, sub-millisecond; the runner's probe uses the same clock. */
export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Children run() has started and that have not exited: the benchmark stops them when it is stopped. */
export const liveChildren = new Set<ChildProcess>();

/** Set when the benchmark is being stopped: run() starts nothing any more. */
export const stopping = { now: false };

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Keep stdout (else it goes to /dev/null). */
  capture?: boolean;
  /** Runs while stopping: the clean-up's own commands. */
  cleanup?: boolean;
}

/** One finished command: its wall time from just before spawn to the 'exit' event, and how it ended. */
export interface RunResult {
  ms: number;
  start: number;
  end: number;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** The last 8 KiB. */
  stderr: string;
}

/** Run a command to its end and time it; the last 8 KiB of stderr are kept for errors. */
export function run(file: string, args: readonly string[], { cwd, env, capture = false, cleanup = false }: RunOptions = {}): Promise<RunResult> {
  if (stopping.now && !cleanup) return Promise.reject(new Error('the benchmark is stopping'));
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let end = NaN;
    let code: number | null = null;
    let signal: NodeJS.Signals | null = null;
    child.stdout?.on('data', (d: Buffer) => (stdout += d));
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-8192)));
    child.once('error', (err) => {
      err.message = `${err.message} (${[file, ...args].join(' ')}${cwd ? ` in ${cwd}` : ''})`;
      reject(err);
    });
    liveChildren.add(child);
    child.once('exit', (c, s) => {
      liveChildren.delete(child);
      end = now();
      code = c;
      signal = s;
    });
    child.once('close', () => resolve({ ms: end - start, start, end, pid: child.pid, code, signal, stdout, stderr }));
  });
}

/** A command that exited non-zero: the message names it and quotes its last stderr lines. */
export class CommandFailed extends Error {
  constructor(
    readonly command: readonly string[],
    readonly result: RunResult,
  ) {
    super(`${command.join(' ')} exited ${result.code ?? result.signal}: ${lastLines(result.stderr, 6)}`);
  }
}

/** Like run(), but a non-zero exit is an error that carries the command and its stderr. */
export async function runOk(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult> {
  const r = await run(file, args, options);
  if (r.code !== 0) throw new CommandFailed([file, ...args], r);
  return r;
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}
