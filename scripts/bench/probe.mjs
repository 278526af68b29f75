// Preloaded into the runner (NODE_OPTIONS=--import=...) for the overhead
// breakdown: records, on the epoch clock the harness uses, when node started,
// when this preload ran (bootstrap done), when each child was spawned and
// exited, and when the process exits; one JSON line per process appended to
// $KBC_BENCH_PROBE_OUT. The runner's own files are not touched.
import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const now = () => performance.timeOrigin + performance.now();
const out = process.env.KBC_BENCH_PROBE_OUT;
const record = { pid: process.pid, argv: process.argv.slice(1), nodeStart: performance.timeOrigin, preload: now(), spawns: [] };

// The runner imports spawn as an ESM named binding of node:child_process;
// syncBuiltinESMExports makes that binding see this wrapper too.
const originalSpawn = childProcess.spawn;
childProcess.spawn = function spawnProbe(file, ...rest) {
  const s = { file, called: now() };
  const child = originalSpawn.call(this, file, ...rest);
  s.returned = now();
  child.once('exit', () => (s.exit = now()));
  child.once('close', () => (s.close = now()));
  record.spawns.push(s);
  return child;
};
syncBuiltinESMExports();

process.once('exit', () => {
  record.exitEvent = now();
  if (out) fs.appendFileSync(out, JSON.stringify(record) + '\n');
});
