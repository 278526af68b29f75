// Run one host tool (make, an engine's pull) for the image family: its own
// process group, so Ctrl-C reaches it and its children as the terminal's
// would, and we wait for it to clean up before returning.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ToolResult {
  code: number | null;
  signal?: NodeJS.Signals;
  /** The last lines of its output, when quiet. */
  tail: string;
}

/** Spawn FILE ARGS, forward SIGINT/SIGTERM/SIGHUP to its group, resolve when it has exited. */
export function runTool(
  file: string,
  args: string[],
  options: { quiet: boolean; stderr: NodeJS.WritableStream; lockFile?: string; stdoutToStderr?: boolean },
): Promise<ToolResult> {
  if (options.lockFile) mkdirSync(dirname(options.lockFile), { recursive: true });
  return new Promise((resolve, reject) => {
    // On the way to a kernel build its BUILD/TAG lines are progress, like the runner's banner: stderr, never
    // mixed into what the build prints on stdout (`make -s kernelversion` captured by a script).
    const stdout = options.quiet ? 'pipe' : options.stdoutToStderr ? 2 : 'inherit';
    const child = spawn(file, args, { stdio: ['ignore', stdout, options.quiet ? 'pipe' : 'inherit'], detached: true });
    let out = '';
    const keep = (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-8192);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let got: NodeJS.Signals | undefined;
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const handler = (sig: NodeJS.Signals) => {
      got ??= sig;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
      } catch {
        // already gone
      }
    };
    for (const s of signals) process.on(s, handler);
    child.on('error', (err) => {
      for (const s of signals) process.off(s, handler);
      reject(err);
    });
    child.on('close', (code, signal) => {
      for (const s of signals) process.off(s, handler);
      resolve({ code: code ?? (signal ? 128 : null), signal: got ?? signal ?? undefined, tail: out.trim().split('\n').slice(-15).join('\n') });
    });
  });
}
