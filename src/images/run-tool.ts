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

/** Spawn FILE ARGS, forward SIGINT/SIGTERM/SIGHUP to its group, resolve when the group has exited. */
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
    child.on('close', async (code, signal) => {
      // The leader (flock) dies at once on SIGINT while the make under it still
      // cleans up (engine-build.sh removes the build's working containers):
      // wait for the whole group, or the caller would report "stopped" with
      // containers still being removed.
      if (child.pid !== undefined) await groupGone(child.pid, GROUP_GRACE_MS);
      for (const s of signals) process.off(s, handler);
      resolve({ code: code ?? (signal ? 128 : null), signal: got ?? signal ?? undefined, tail: out.trim().split('\n').slice(-15).join('\n') });
    });
  });
}

/** How long a tool's group may take to clean up after its leader exited (a build's `podman rm` of working containers: seconds). */
const GROUP_GRACE_MS = 60_000;

/** Resolve when no process of group `pgid` is left (or after `ms`, then SIGKILL to whatever still is). */
export async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  for (const end = Date.now() + ms; alive(); ) {
    if (Date.now() >= end) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // gone in between
      }
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
