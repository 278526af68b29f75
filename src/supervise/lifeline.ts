// A watcher outside the runner's process group that removes the container when
// the runner dies in any way, SIGKILL included: the engine client does not
// (killing `podman run` or `docker run` leaves the container running).
import { spawn, type ChildProcess } from 'node:child_process';

// Reads the runner's pipe. "client PID" names the engine client, "done" means
// the runner cleaned up itself. End of file without "done" means the runner is
// gone: remove the container, forget the run, stop the orphaned client.
export const WATCHER_SCRIPT = [
  'c=',
  'while IFS= read -r l; do case $l in done) exit 0;; client\\ *) c=${l#client };; esac; done',
  'f=$1; shift',
  'if o=$("$@" 2>&1); then rm -f "$f"; else case $o in *"o such container"*) rm -f "$f";; esac; fi',
  '[ -z "$c" ] || kill -TERM "$c" 2>/dev/null',
  'exit 0',
].join('\n');

export interface Lifeline {
  /** Tell the watcher which engine client to stop if the runner dies. */
  announceClient(pid: number): void;
  /** The runner cleaned up itself: the watcher exits without acting. */
  release(): void;
  /** The runner is leaving without having seen the container go: let the watcher make sure. */
  abandon(): void;
}

/** Start the watcher in its own session so a signal to our process group does not reach it. */
export function startLifeline(enginePath: string, removeArgs: string[], recordFile: string): Lifeline {
  const watcher: ChildProcess = spawn('/bin/sh', ['-c', WATCHER_SCRIPT, 'kbuild-container-lifeline', recordFile, enginePath, ...removeArgs], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watcher.unref();
  const pipe = watcher.stdin!;
  pipe.on('error', () => {}); // the watcher may be gone already; nothing to do then
  let open = true;
  const send = (line?: string) => {
    if (!open) return;
    if (line === undefined) {
      open = false;
      pipe.end();
    } else pipe.write(line + '\n');
  };
  // Keep the pipe from holding the event loop open: the runner's own work decides when it exits.
  (pipe as unknown as { unref?: () => void }).unref?.();
  return {
    announceClient: (pid) => send(`client ${pid}`),
    release: () => {
      send('done');
      send();
    },
    abandon: () => send(),
  };
}
