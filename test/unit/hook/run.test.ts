// The push hook through git's own hook machinery: real bare repositories, real
// `git push`, the bundled CLI as the hook runs it, real make. The images
// Makefile here is a small stand-in that prints the family's BUILD/PUSH lines
// and can be held at a gate, so queueing, coalescing and killing are
// deterministic; real image builds and a real registry are in test/e2e/hook.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildPrivateCli } from '../helpers/bundled-cli.js';
import { waitFor } from '../helpers/fake-engine.js';

let CLI = '';
let cleanupCli = () => {};
beforeAll(async () => {
  ({ cli: CLI, cleanup: cleanupCli } = await buildPrivateCli());
}, 60_000);
afterAll(() => cleanupCli());

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    // release any build still held, so its worker ends
    fs.writeFileSync(path.join(d, 'gate'), '');
  }
});
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 300));
  for (const d of fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('kbc-hook-unit-')))
    fs.rmSync(path.join(os.tmpdir(), d), { recursive: true, force: true });
});

// Holds each build until ROOT/gate exists when GATED is in the recipe's tree, then prints what the family prints.
const MAKEFILE = `all:
\t@echo "  BUILD   $(PREFIX)gcc:1 rev=$(REVISION)"
\t@if [ -e gated ]; then while [ ! -e "$$KBC_TEST_GATE" ]; do sleep 0.05; done; fi
\t@if [ -e broken ]; then echo "recipe is broken" >&2; exit 1; fi
push: all
\t@echo "  PUSH    $(REGISTRY)/$(PREFIX)gcc:1"
`;

interface Fixture {
  root: string;
  bare: string;
  work: string;
  mails: string;
  gate: string;
  env: NodeJS.ProcessEnv;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.org', '-c', 'user.name=t', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** A bare repository with one commit of images/Makefile on main, a clone to push from, a mail capture. */
function fixture(): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-hook-unit-'));
  dirs.push(root);
  const bare = path.join(root, 'images.git');
  const work = path.join(root, 'work');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  git(root, 'clone', '-q', bare, work);
  fs.mkdirSync(path.join(work, 'images'));
  fs.writeFileSync(path.join(work, 'images', 'Makefile'), MAKEFILE);
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'images: first recipe');
  git(work, 'push', '-q', 'origin', 'main');
  const mails = path.join(root, 'mails');
  fs.mkdirSync(mails);
  const sendmail = path.join(root, 'sendmail');
  // A sendmail that files each message it is given, like an MTA's local delivery.
  fs.writeFileSync(sendmail, `#!/bin/sh\n[ "$1" = -t ] || exit 64\ncat > "${mails}/$(date +%s%N)"\n`, { mode: 0o755 });
  const gate = path.join(root, 'gate');
  return { root, bare, work, mails, gate, env: { ...process.env, SENDMAIL: sendmail, KBC_TEST_GATE: gate } };
}

function cli(f: Fixture, ...args: string[]) {
  return execa(process.execPath, [CLI, ...args], { env: f.env, reject: false, stdin: 'ignore' });
}

function commit(f: Fixture, subject: string, file = 'images/notes'): string {
  fs.appendFileSync(path.join(f.work, file), `${subject}\n`);
  git(f.work, 'add', '-A');
  git(f.work, 'commit', '-qm', subject);
  return git(f.work, 'rev-parse', 'HEAD');
}

async function push(f: Fixture) {
  const r = await execa('git', ['push', 'origin', 'main'], { cwd: f.work, env: f.env, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return r;
}

function records(f: Fixture): Record<string, { state: string; pid?: number; tags: string[]; reason?: string }> {
  const dir = path.join(f.bare, 'kbuild-container', 'records');
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => [n.slice(0, -5), JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8'))]),
  );
}

function mails(f: Fixture): string[] {
  return fs
    .readdirSync(f.mails)
    .sort()
    .map((n) => fs.readFileSync(path.join(f.mails, n), 'utf8'));
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${fs.statSync(p).mode.toString(8)} ${fs.readFileSync(p, 'base64')}`;
    }
  };
  walk(dir);
  return out;
}

/** Wait for a condition, failing the test if it never holds. */
async function until(check: () => unknown, timeoutMs: number): Promise<void> {
  expect(await waitFor(check, timeoutMs), `still waiting after ${timeoutMs} ms for ${check.toString()}`).toBeTruthy();
}

const idle = (f: Fixture) => () =>
  !fs.existsSync(path.join(f.bare, 'kbuild-container', 'worker.lock')) && !fs.existsSync(path.join(f.bare, 'kbuild-container', 'pending'));

describe('hook install and uninstall', () => {
  it('round-trips to the original files, and the hook is a few lines handing over to the CLI', async () => {
    const f = fixture();
    const before = snapshot(f.bare);
    const installed = await cli(f, 'hook', 'install', f.bare, '--mail-to', 'maint@example.org');
    expect(installed.stderr).toBe(`kbuild-container: wrote ${f.bare}/hooks/post-receive`);
    expect(installed.exitCode).toBe(0);
    const hook = fs.readFileSync(path.join(f.bare, 'hooks', 'post-receive'), 'utf8');
    expect(hook.split('\n').length).toBeLessThan(8);
    expect(hook).toContain(`hook post-receive ${f.bare}`);
    expect(fs.statSync(path.join(f.bare, 'hooks', 'post-receive')).mode & 0o777).toBe(0o755);
    // Group-readable, never world-anything.
    for (const p of ['kbuild-container', 'kbuild-container/logs', 'kbuild-container/records'])
      expect(fs.statSync(path.join(f.bare, p)).mode & 0o777).toBe(0o750);
    expect(fs.statSync(path.join(f.bare, 'kbuild-container', 'config.json')).mode & 0o777).toBe(0o640);
    const removed = await cli(f, 'hook', 'uninstall', f.bare);
    expect(removed.stderr).toBe(`kbuild-container: removed ${f.bare}/hooks/post-receive`);
    expect(snapshot(f.bare)).toEqual(before);
  });

  it('refuses to replace or remove a post-receive hook it did not write', async () => {
    const f = fixture();
    const foreign = path.join(f.bare, 'hooks', 'post-receive');
    fs.writeFileSync(foreign, '#!/bin/sh\necho theirs\n', { mode: 0o755 });
    const before = snapshot(f.bare);
    const install = await cli(f, 'hook', 'install', f.bare);
    expect(install.exitCode).not.toBe(0);
    expect(install.stderr).toBe(`kbuild-container: ${foreign} exists and was not written by kbuild-container: refusing to replace it`);
    const uninstall = await cli(f, 'hook', 'uninstall', f.bare);
    expect(uninstall.exitCode).not.toBe(0);
    expect(uninstall.stderr).toBe(`kbuild-container: ${foreign} was not written by kbuild-container: leaving it alone`);
    expect(snapshot(f.bare)).toEqual(before);
  });

  it.each([
    ['not a bare repository', (f: Fixture) => [f.work], (f: Fixture) => `kbuild-container: ${f.work}: not a bare git repository`],
    [
      'no such directory',
      (f: Fixture) => [path.join(f.root, 'nope')],
      (f: Fixture) => `kbuild-container: ${path.join(f.root, 'nope')}: not a bare git repository`,
    ],
    [
      'an unknown branch',
      (f: Fixture) => [f.bare, '--branch', 'next'],
      (f: Fixture) => `kbuild-container: --branch 'next': no such branch in ${f.bare} (it has: main)`,
    ],
    [
      'a bad --registry',
      (f: Fixture) => [f.bare, '--registry', 'https://r.example/k'],
      () => /^kbuild-container: --registry 'https:\/\/r\.example\/k': no scheme/,
    ],
    [
      'a registry that does not answer',
      (f: Fixture) => [f.bare, '--registry', '127.0.0.1:9/k', '--plain-http'],
      () => /^kbuild-container: registry 127\.0\.0\.1:9 does not answer at http:\/\/127\.0\.0\.1:9\/v2\/: /,
    ],
    [
      'plain http to another machine',
      (f: Fixture) => [f.bare, '--registry', 'r.example/k', '--plain-http'],
      () => /^kbuild-container: --plain-http is only for a registry on this machine/,
    ],
    ['a bad --mail-to', (f: Fixture) => [f.bare, '--mail-to', 'a@b,c@d'], () => /^kbuild-container: --mail-to 'a@b,c@d': not a plain mail address/],
    [
      'an unknown option',
      (f: Fixture) => [f.bare, '--registery', 'x'],
      () => /^kbuild-container: unknown option '--registery' \(Did you mean --registry\?\) \(try --help\)$/,
    ],
  ] as const)('%s: one line, non-zero, nothing written', async (_what, args, message) => {
    const f = fixture();
    const before = snapshot(f.root);
    const r = await cli(f, 'hook', 'install', ...args(f));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr.split('\n')).toHaveLength(1);
    const expected = message(f);
    if (typeof expected === 'string') expect(r.stderr).toBe(expected);
    else expect(r.stderr).toMatch(expected);
    expect(snapshot(f.root)).toEqual(before);
  });
});

describe('a push', () => {
  it('returns at once with one line, then the build runs detached and reports by status and mail', async () => {
    const f = fixture();
    expect((await cli(f, 'hook', 'install', f.bare, '--mail-to', 'maint@example.org', '--prefix', 'kt-')).exitCode).toBe(0);
    fs.writeFileSync(path.join(f.work, 'images', 'gated'), '');
    const sha = commit(f, 'images: hold the build');
    const started = Date.now();
    const r = await push(f);
    const returned = Date.now() - started;
    expect(r.exitCode).toBe(0);
    const remote = r.stderr.split('\n').filter((l) => l.startsWith('remote: '));
    expect(remote).toEqual([
      expect.stringMatching(
        new RegExp(
          `^remote: kbuild-container: queued ${sha.slice(0, 12)} for an image build \\(log: ${f.bare}/kbuild-container/logs/${sha}\\.log; kbuild-container hook status ${f.bare}\\)\\s*$`,
        ),
      ),
    ]);
    // The push is back while the build is still held at the gate.
    await until(() => records(f)[sha]?.state === 'building', 10_000);
    console.log(`git push returned in ${returned} ms while the build ran`);
    fs.writeFileSync(f.gate, '');
    await until(idle(f), 10_000);
    expect(records(f)[sha].state).toBe('built');
    const log = fs.readFileSync(path.join(f.bare, 'kbuild-container', 'logs', `${sha}.log`), 'utf8');
    expect(log).toContain(`  BUILD   kt-gcc:1 rev=${sha}\n`);
    // Built from a checkout outside the repository, removed afterwards.
    const checkout = /in (\/\S+kbc-hook-\w+)/.exec(log)![1];
    expect(checkout.startsWith(f.bare)).toBe(false);
    expect(fs.existsSync(checkout)).toBe(false);
    const status = await cli(f, 'hook', 'status', f.bare);
    expect(status.stdout).toMatch(
      new RegExp(`^COMMIT\\s+STATE.*\\n${sha.slice(0, 12)}\\s+built\\s+\\S+Z\\s+\\d+s\\s+-\\s+${f.bare}/kbuild-container/logs/${sha}\\.log$`, 'm'),
    );
    const [mail] = mails(f);
    expect(mail).toContain(`Subject: [kbuild-container] PASS ${sha.slice(0, 12)} images: hold the build\n`);
    expect(mail).toContain(`  BUILD   kt-gcc:1 rev=${sha}`);
  }, 60_000);

  it('three pushes during a build: two builds, the last commit wins, the middle one is superseded', async () => {
    const f = fixture();
    expect((await cli(f, 'hook', 'install', f.bare, '--mail-to', 'maint@example.org')).exitCode).toBe(0);
    fs.writeFileSync(path.join(f.work, 'images', 'gated'), '');
    const first = commit(f, 'one');
    expect((await push(f)).exitCode).toBe(0);
    await until(() => records(f)[first]?.state === 'building', 10_000);
    const second = commit(f, 'two');
    expect((await push(f)).exitCode).toBe(0);
    const third = commit(f, 'three');
    expect((await push(f)).exitCode).toBe(0);
    expect(records(f)[second].state).toBe('queued');
    fs.writeFileSync(f.gate, '');
    await until(() => idle(f)() && records(f)[third]?.state === 'built', 15_000);
    expect(records(f)[first].state).toBe('built');
    expect(records(f)[second]).toMatchObject({ state: 'superseded', reason: `superseded by ${third.slice(0, 12)}` });
    expect(fs.existsSync(path.join(f.bare, 'kbuild-container', 'logs', `${second}.log`))).toBe(false);
    expect(mails(f).map((m) => /^Subject: (.*)$/m.exec(m)![1])).toEqual([
      `[kbuild-container] PASS ${first.slice(0, 12)} one`,
      `[kbuild-container] PASS ${third.slice(0, 12)} three`,
    ]);
  }, 60_000);

  it('a failing recipe is reported FAIL with the log’s last lines', async () => {
    const f = fixture();
    expect((await cli(f, 'hook', 'install', f.bare, '--mail-to', 'maint@example.org')).exitCode).toBe(0);
    fs.writeFileSync(path.join(f.work, 'images', 'broken'), '');
    const sha = commit(f, 'images: break it');
    expect((await push(f)).exitCode).toBe(0);
    await until(() => idle(f)() && records(f)[sha]?.state === 'failed', 10_000);
    expect(records(f)[sha].reason).toBe('image build failed (make exit 2)');
    const [mail] = mails(f);
    expect(mail).toContain(`Subject: [kbuild-container] FAIL ${sha.slice(0, 12)} images: break it\n`);
    expect(mail).toContain('recipe is broken');
    expect((await cli(f, 'hook', 'status', f.bare)).stdout).toMatch(new RegExp(`^${sha.slice(0, 12)}\\s+failed\\s`, 'm'));
  }, 60_000);

  it('a push to another branch queues nothing', async () => {
    const f = fixture();
    expect((await cli(f, 'hook', 'install', f.bare)).exitCode).toBe(0);
    commit(f, 'side');
    const r = await execa('git', ['push', 'origin', 'HEAD:refs/heads/side'], { cwd: f.work, env: f.env, reject: false });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).not.toContain('remote: kbuild-container');
    expect(Object.keys(records(f))).toEqual([]);
  }, 60_000);

  it('a worker killed mid-build leaves no build process and no lock, and the next status says failed', async () => {
    const f = fixture();
    expect((await cli(f, 'hook', 'install', f.bare)).exitCode).toBe(0);
    fs.writeFileSync(path.join(f.work, 'images', 'gated'), '');
    const sha = commit(f, 'to be killed');
    expect((await push(f)).exitCode).toBe(0);
    await until(() => records(f)[sha]?.state === 'building', 10_000);
    const worker = records(f)[sha].pid!;
    const lock = path.join(f.bare, 'kbuild-container', 'worker.lock');
    await until(() => fs.existsSync(lock), 10_000);
    const building = () =>
      spawnSync('pgrep', ['-f', `${sha}`])
        .stdout.toString()
        .trim();
    await until(() => building() !== '', 10_000);
    process.kill(worker, 'SIGKILL');
    // The lifeline TERMs the build's group and KILLs it after 100 polls of 0.1 s
    // (10 s idle, longer on a loaded machine), then removes the lock: one CI
    // run missed a 15 s wait here, so the wait is twice that.
    await until(() => building() === '' && !fs.existsSync(lock), 30_000);
    const status = await cli(f, 'hook', 'status', f.bare);
    expect(status.stdout).toMatch(new RegExp(`^${sha.slice(0, 12)}\\s+failed\\s`, 'm'));
    expect(records(f)[sha].reason).toBe('the build was killed before it finished');
    // The queue goes on: the next push builds.
    fs.rmSync(path.join(f.work, 'images', 'gated'));
    const next = commit(f, 'after the kill');
    expect((await push(f)).exitCode).toBe(0);
    await until(() => idle(f)() && records(f)[next]?.state === 'built', 10_000);
  }, 60_000);
});
