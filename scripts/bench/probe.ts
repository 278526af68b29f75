// Preloaded into the runner (NODE_OPTIONS=--import=...) for the overhead
// breakdown: records, on the epoch clock the harness uses, when node started,
// when this preload ran (bootstrap done), when each child was spawned and
// exited, and when the process exits; one JSON line per process appended to
// $KBC_BENCH_PROBE_OUT. The runner's own files are not touched.
// Imports nothing of the harness: it runs inside the runner's process.
import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

/** One spawn by the runner: epoch milliseconds. */
export interface ProbeSpawn {
  file: string;
  called: number;
  returned: number;
  exit?: number;
  close?: number;
}

/** One line of $KBC_BENCH_PROBE_OUT: one process of the runner. */
export interface ProbeRecord {
  pid: number;
  argv: string[];
  nodeStart: number;
  preload: number;
  spawns: ProbeSpawn[];
  exitEvent?: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const out = process.env.KBC_BENCH_PROBE_OUT;

// Only when preloaded for the breakdown: the harness imports this file for its types.
if (out !== undefined) {
  const record: ProbeRecord = { pid: process.pid, argv: process.argv.slice(1), nodeStart: performance.timeOrigin, preload: now(), spawns: [] };

  // The runner imports spawn as a named binding of node:child_process;
  // syncBuiltinESMExports makes that binding see this wrapper too.
  const originalSpawn = childProcess.spawn;
  const spawnProbe = function (this: unknown, file: string, ...rest: unknown[]) {
    const s: ProbeSpawn = { file, called: now(), returned: NaN };
    const child = (originalSpawn as (...a: unknown[]) => childProcess.ChildProcess).call(this, file, ...rest);
    s.returned = now();
    child.once('exit', () => (s.exit = now()));
    child.once('close', () => (s.close = now()));
    record.spawns.push(s);
    return child;
  };
  childProcess.spawn = spawnProbe as typeof childProcess.spawn;
  syncBuiltinESMExports();

  process.once('exit', () => {
    record.exitEvent = now();
    fs.appendFileSync(out, JSON.stringify(record) + '\n');
  });
}
