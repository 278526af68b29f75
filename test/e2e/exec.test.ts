// Issue 15, item 1: `kbuild-container exec [IMAGE] -- COMMAND` on rootful
// Podman, rootless Podman and Docker, with a build's guarantees: the caller's
// paths and ownership, stdin, a real terminal for a shell, the command's exit
// status, and nothing left behind after Ctrl-C or SIGKILL. No kernel builds.
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINE_KINDS,
  REPO,
  asUser,
  callerIds,
  containersOfRun,
  descendantsOf,
  hostProcesses,
  kernelTree,
  removeScratch,
  runIdOf,
  runnerBinDir,
  runtimeOf,
  scratchDir,
  waitFor,
  type EngineKind,
} from './support.js';

const IMAGE = 'korg-gcc:12';
const TREE = kernelTree('6.12');

const scratch: string[] = [];
afterAll(() => scratch.forEach(removeScratch));

/** The environment of every exec: the runner on PATH, the engine chosen, nothing of ours besides. */
const envOf = (kind: EngineKind, more: Record<string, string> = {}) => ({
  PATH: `${runnerBinDir()}:${process.env.PATH}`,
  CONTAINER_RUNTIME: runtimeOf(kind),
  ...more,
});

/** `kbuild-container exec WORDS` as the engine kind's user, to the end. */
async function exec(kind: EngineKind, cwd: string, words: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  const [file, ...rest] = asUser(kind, ['kbuild-container', 'exec', ...words]);
  const start = Date.now();
  const r = await execa(file, rest, {
    cwd,
    reject: false,
    stripFinalNewline: false,
    env: envOf(kind, options.env),
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
  });
  console.log(`${kind}: exec ${words.join(' ')}: ${Date.now() - start} ms`);
  return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

// A runner started in its own process group (as a shell's job), killed by afterEach if a test left it.
let running: ResultPromise | undefined;
afterEach(async () => {
  if (running?.pid !== undefined && running.exitCode === null) {
    // Its own process group (detached), so this reaches script(1) and the runner alike.
    try {
      process.kill(-running.pid, 'SIGKILL');
    } catch {
      running.kill('SIGKILL');
    }
  }
  await running?.catch(() => {});
  running = undefined;
});

/** Start `exec IMAGE -- sh -c 'echo ready; exec sleep 600'`, wait until it runs; its run id and output so far. */
async function startSleeper(kind: EngineKind, cwd: string) {
  const [file, ...rest] = asUser(kind, ['kbuild-container', 'exec', IMAGE, '--', 'sh', '-c', 'echo ready; exec sleep 600']);
  const child = execa(file, rest, { cwd, reject: false, detached: true, stdin: 'ignore', env: envOf(kind), forceKillAfterDelay: false });
  running = child;
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  expect(await waitFor(async () => out.includes('ready\n'), 30_000)).toBeDefined();
  const runId = runIdOf(descendantsOf(child.pid!, hostProcesses()));
  expect(runId).toBeDefined();
  expect(await containersOfRun(kind, runId!)).toHaveLength(1);
  return { child, runId: runId! };
}

describe.each(ENGINE_KINDS)('%s: kbuild-container exec', (kind) => {
  // Where commands run unless a test needs the kernel tree (read only then: it is shared).
  let dir = '';
  beforeAll(async () => {
    dir = scratchDir(kind, 'kbc-e2e-exec-');
    scratch.push(dir);
    // The engine once before the tests that compare stderr byte for byte: rootless
    // Podman's first command after its pause process was stopped (the set-up
    // does) prints its own one-time warning ('"/" is not a shared mount'; seen
    // in a full run, reproduced by hand), which is the engine's, not exec's.
    const [file, ...rest] = asUser(kind, [runtimeOf(kind), 'info']);
    await execa(file, rest, { reject: false, cwd: dir });
  });

  it("writes files as the caller at the caller's path; the exit status and the environment by name pass through", async () => {
    const r = await exec(kind, dir, [IMAGE, '--', 'sh', '-c', 'pwd; echo "$ARCH ${SECRET-unset}"; echo written > out.txt; exit 7'], {
      env: { ARCH: 'arm64', SECRET: 'not-passed' },
    });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([7, `${dir}\narm64 unset\n`, '']);
    const { uid, gid } = callerIds(kind);
    const stat = fs.statSync(path.join(dir, 'out.txt'));
    expect([stat.uid, stat.gid, fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')]).toEqual([uid, gid, 'written\n']);
  });

  it('stdin piped passes through, and the output comes back byte for byte (LF stays LF)', async () => {
    const input = 'line one\nwith\r\ncarriage return\n\tand no final newline';
    const r = await exec(kind, dir, [IMAGE, '--', 'cat'], { input });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, input, '']);
  });

  it('from a subdirectory of a kernel tree, the whole tree is mounted and the command runs where it was called', async () => {
    const r = await exec(kind, path.join(TREE, 'scripts'), [IMAGE, '--', 'sh', '-c', 'pwd; head -c 11 ../Makefile; echo']);
    expect([r.exitCode, r.stdout]).toEqual([0, `${path.join(TREE, 'scripts')}\n# SPDX-Lice\n`]);
  });

  // A kernel tool a developer runs daily, from the tree, on a file elsewhere
  // (made visible with CONTAINER_ARGS, as the README says): its findings and status.
  it('scripts/checkpatch.pl from the tree on a file outside it (CONTAINER_ARGS -v): its findings, its exit status 1', async () => {
    fs.writeFileSync(path.join(dir, 'bad.c'), 'int main(void){ return 0 ;}\n');
    const r = await exec(kind, TREE, [IMAGE, '--', 'scripts/checkpatch.pl', '--no-tree', '--terse', '-f', path.join(dir, 'bad.c')], {
      env: { CONTAINER_ARGS: `-v ${dir}:${dir}` },
    });
    expect(r.exitCode, r.stderr).toBe(1);
    expect(r.stdout).toContain(`${path.join(dir, 'bad.c')}:1: ERROR: space required after that ';'`);
    expect(r.stdout).toMatch(/^total: 1 errors, \d+ warnings, 1 lines checked$/m);
  });

  it('a command the image does not have: one line naming it and the image, status 127', async () => {
    const r = await exec(kind, dir, [IMAGE, '--', 'kunit-not-here', '--help']);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([127, '', `kbuild-container: exec: 'kunit-not-here' not found in image '${IMAGE}'\n`]);
  });

  // A prefix no store has: the family would build kbcexec-gcc:12, CONTAINER_BUILD=never stops it at the decision.
  const missing = { CONTAINER_BUILD: 'never', CONTAINER_IMAGES_PREFIX: 'kbcexec-' };
  const notBuilt = () =>
    `kbuild-container: image 'kbcexec-gcc:12' not found in ${runtimeOf(kind)}'s local store; CONTAINER_BUILD=never, so not built ` +
    `(make -C ${path.join(REPO, 'images')} PREFIX=kbcexec- IMAGES=gcc:12 CONTAINER_RUNTIME=${runtimeOf(kind)} would)`;

  it("a missing family image takes a build's on-demand path, piped and on a terminal (CONTAINER_BUILD=never: one line, exit 2)", async () => {
    const r = await exec(kind, dir, ['kbcexec-gcc:12', '--', 'true'], { env: missing });
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([2, '', `${notBuilt()}\n`]);
    const [file, ...rest] = asUser(kind, ['script', '-qfec', 'kbuild-container exec kbcexec-gcc:12 -- sh', '/dev/null']);
    const t = await execa(file, rest, { cwd: dir, reject: false, env: envOf(kind, missing), stdin: 'ignore' });
    expect([t.exitCode, String(t.stdout)]).toEqual([2, notBuilt()]);
  });

  it('exec -- sh through a real pseudo-terminal: a prompt, an answer, a TTY inside, Ctrl-C to its command, the exit status of the shell', async () => {
    // script(1) gives the runner a pty on stdin and stdout, as a terminal would.
    const [file, ...rest] = asUser(kind, ['script', '-qfec', `kbuild-container exec ${IMAGE} -- sh`, '/dev/null']);
    const child = execa(file, rest, { cwd: dir, reject: false, detached: true, env: envOf(kind), stdin: 'pipe', forceKillAfterDelay: false });
    running = child;
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const start = Date.now();
    // dash's prompt: `$ ` for a user, `# ` for root.
    expect(await waitFor(async () => /[$#] $/.test(out), 30_000)).toBeDefined();
    child.stdin?.write('echo $((6*7)); tty\n');
    expect(await waitFor(async () => /\r\n42\r\n\/dev\/pts\/\d+\r\n/.test(out), 10_000)).toBeDefined();
    // Ctrl-C on the terminal stops the shell's foreground command, not the shell.
    child.stdin?.write('sleep 37\n');
    expect(await waitFor(async () => hostProcesses().some((p) => p.cmd === 'sleep 37'), 10_000)).toBeDefined();
    child.stdin?.write('\x03');
    // What follows ^C in the same write would be flushed with the line: wait for its echo.
    expect(await waitFor(async () => out.includes('^C'), 10_000)).toBeDefined();
    child.stdin?.write('echo after $?\n');
    expect(await waitFor(async () => out.includes('\r\nafter 130\r\n'), 10_000)).toBeDefined();
    child.stdin?.write('exit 5\n');
    const r = await child;
    console.log(`${kind}: interactive sh through script: ${Date.now() - start} ms`);
    expect(r.exitCode).toBe(5);
  });

  it('Ctrl-C (SIGINT to the process group) during a long command: status 130, no container left', async () => {
    const { child, runId } = await startSleeper(kind, dir);
    const start = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    const r = await child;
    const exited = Date.now() - start;
    expect(r.exitCode).toBe(130);
    // The engine removes a --rm container just after its client returns (rootful Podman: conmon's cleanup).
    const gone = await waitFor(async () => (await containersOfRun(kind, runId)).length === 0, 10_000, 50);
    console.log(`${kind}: SIGINT to the runner's exit ${exited} ms, to no container ${Date.now() - start} ms`);
    expect(gone).toBeDefined();
  });

  it('SIGKILL of the runner during a long command: the lifeline removes the container', async () => {
    const { child, runId } = await startSleeper(kind, dir);
    const start = Date.now();
    process.kill(child.pid!, 'SIGKILL');
    expect((await child).signal).toBe('SIGKILL');
    const gone = await waitFor(async () => (await containersOfRun(kind, runId)).length === 0, 20_000, 100);
    console.log(`${kind}: SIGKILL to no container: ${Date.now() - start} ms`);
    expect(gone).toBeDefined();
    // The client, orphaned, is stopped by the lifeline too.
    expect(await waitFor(async () => !hostProcesses().some((p) => p.cmd.includes(`=${runId}`)), 10_000)).toBeDefined();
  });
});
