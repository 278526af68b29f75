// A temporary directory holding a fake engine (fixtures/fake-engine.sh) as
// bin/podman or bin/docker, its config, and the log of what it was asked to do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import psList from 'ps-list';

const FIXTURE = fileURLToPath(new URL('../fixtures/fake-engine.sh', import.meta.url));

export interface FakeEngineConfig {
  /** How long `run` lasts after announcing the start, in tenths of a second. */
  FAKE_SLEEP_TENTHS?: number;
  FAKE_EXIT?: number;
  /** Exit with this before printing the start marker (an engine failure). */
  FAKE_EXIT_BEFORE_START?: number;
  FAKE_PRE_STDERR?: string;
  /** How long `run` takes before it prints the start marker, in tenths of a second. */
  FAKE_TENTHS_BEFORE_START?: number;
  FAKE_POST_STDERR?: string;
  /** Record SIGTERM but keep running. */
  FAKE_IGNORE_TERM?: 1;
  FAKE_RM_EXIT?: number;
  FAKE_RM_STDERR?: string;
  /** Before the start, end `run` by this signal (the engine client itself crashed). */
  FAKE_KILL_BEFORE_START?: string;
  /** After the start, end `run` by this signal (a name as `kill -s` takes it: USR1, SEGV...). */
  FAKE_KILL_SELF?: string;
  /** Record where descriptors 3 and 4 of `run` lead (log/fds). */
  FAKE_RECORD_FDS?: 1;
}

export interface FakeEngine {
  root: string;
  bin: string;
  /** The fake executable. */
  file: string;
  /** Every call's argv, oldest first. */
  calls(): string[][];
  /** The argv of each `rm` call. */
  removals(): string[][];
  /** One "TERM" per SIGTERM the fake `run` received. */
  signals(): string[];
  /** Processes still running from this directory: fake clients and lifeline watchers. */
  survivors(): Promise<{ pid: number; cmd?: string }[]>;
  cleanup(): Promise<void>;
}

export function makeFakeEngine(name: 'podman' | 'docker', config: FakeEngineConfig = {}): FakeEngine {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-fake-'));
  const bin = path.join(root, 'bin');
  const log = path.join(root, 'log');
  fs.mkdirSync(bin);
  fs.mkdirSync(log);
  const file = path.join(bin, name);
  fs.copyFileSync(FIXTURE, file);
  fs.chmodSync(file, 0o755);
  const lines = Object.entries(config).map(([k, v]) => `${k}='${String(v).replaceAll("'", `'\\''`)}'`);
  fs.writeFileSync(path.join(root, 'config'), lines.join('\n') + '\n');

  const calls = () =>
    fs
      .readdirSync(log)
      .filter((f) => f.startsWith('call.'))
      .sort()
      .map((f) => fs.readFileSync(path.join(log, f), 'utf8').split('\0').slice(0, -1));
  const survivors = async () => (await psList()).filter((p) => p.pid !== process.pid && p.cmd?.includes(root));
  return {
    root,
    bin,
    file,
    calls,
    removals: () => calls().filter((argv) => argv[0] === 'rm'),
    signals: () => {
      const f = path.join(log, 'signals');
      return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];
    },
    survivors,
    async cleanup() {
      for (const p of await survivors()) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Poll until `check` returns a truthy value or the time is up; returns the last value. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value || Date.now() >= end) return value;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Wait for every fake-engine process to be gone, then return what is left (expected: nothing). */
export async function survivorsAfter(fake: FakeEngine, timeoutMs = 3000): Promise<{ pid: number; cmd?: string }[]> {
  let left = await fake.survivors();
  await waitFor(async () => (left = await fake.survivors()).length === 0, timeoutMs);
  return left;
}
