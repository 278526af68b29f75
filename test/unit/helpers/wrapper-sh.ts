// Runs the plan's in-container wrapper (WRAPPER_SCRIPT) under a real `sh`, as
// the engine would: in a PID namespace of its own (the wrapper's `kill -- -1`
// must reach only its build, never the test's processes), with a fake build
// (fixtures/fake-build.sh) as the command. Needs unshare(1) and user namespaces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import psList from 'ps-list';
import { WRAPPER_SCRIPT } from '../../../src/plan/plan-run.js';
import { waitFor } from './fake-engine.js';

const FAKE_BUILD = fileURLToPath(new URL('../fixtures/fake-build.sh', import.meta.url));

export interface WrapperRun {
  dir: string;
  process: ResultPromise<{ reject: false; all: true }>;
  /** The wrapper's pid as the host sees it. */
  wrapperPid(): Promise<number | undefined>;
  /** Resolves true once the fake build runs. */
  started(): Promise<boolean>;
  /** Lines the fake build recorded: "make TERM", "cc TERM", ... */
  signals(): string[];
  stdinSeen(): string | undefined;
  cleanup(): void;
}

export interface WrapperOptions {
  /** The wrapper's positional arguments before the command: start marker, jobserver FIFO, Makefile to check. */
  args?: string[];
  env?: Record<string, string>;
  input?: string;
  /** The command the wrapper runs; default the fake build. */
  command?: string[];
}

/** Start `sh -c WRAPPER_SCRIPT kbuild-container ARGS... COMMAND...` in a new PID namespace. */
export function runWrapper({ args = ['kbuild-container-started-t', '', ''], env = {}, input = '', command }: WrapperOptions = {}): WrapperRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-wrapper-'));
  const log = path.join(dir, 'log');
  const tag = path.basename(dir);
  const argv = ['sh', '-c', WRAPPER_SCRIPT, 'kbuild-container', ...args, ...(command ?? ['sh', FAKE_BUILD, tag])];
  // The wrapper is the namespace's PID 1 (the engine's --init would be, and would forward
  // signals to it): an sh in between would start it with SIGINT ignored, as a background job.
  const child = execa('unshare', ['--user', '--map-root-user', '--pid', '--fork', '--kill-child', ...argv], {
    env: { FAKE_BUILD_LOG: log, ...env },
    input,
    reject: false,
    all: true,
  });
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  return {
    dir,
    process: child,
    async wrapperPid() {
      const found = await waitFor(async () => (await psList()).find((p) => p.cmd?.startsWith('sh -c m=$1') && p.cmd.includes(tag)), 5000);
      return found?.pid;
    },
    started: () => waitFor(() => fs.existsSync(`${log}.started`), 5000),
    signals: () => (read(log) ?? '').split('\n').filter(Boolean),
    stdinSeen: () => read(`${log}.stdin`),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
