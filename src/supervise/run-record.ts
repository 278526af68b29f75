// A file per running container, so a run killed while the engine was down is
// found and removed at the next start. Only a directory listing on the hot path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RunRecord {
  name: string;
  enginePath: string;
  removeArgs: string[];
  runnerPid: number;
}

/** Per-user directory of run records (each engine store is per user too). */
export function recordDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'kbuild-container', 'runs');
}

export function writeRecord(dir: string, record: RunRecord): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, record.name);
  fs.writeFileSync(file, JSON.stringify(record));
  return file;
}

export function removeRecord(file: string): void {
  try {
    fs.unlinkSync(file); // not rmSync: its first use loads more of node (on every make)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Records whose runner is no longer alive: their containers may still exist. */
export function staleRecords(dir: string, isAlive: (pid: number) => boolean): { file: string; record: RunRecord }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const stale: { file: string; record: RunRecord }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const record = JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord;
      if (!isAlive(record.runnerPid)) stale.push({ file, record });
    } catch {
      removeRecord(file); // unreadable: written by a runner killed mid-write
    }
  }
  return stale;
}

/** Whether a process is alive (EPERM: alive, another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
