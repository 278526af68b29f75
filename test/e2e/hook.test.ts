// Issue 13 end to end: a real bare repository holding the package's own
// images/, the hook installed by the CLI and run by git's own hook machinery
// on `git push`, real image builds (rootful Podman), a real OCI registry on
// 127.0.0.1 read through its HTTP API, real mail through the system's
// sendmail (dma, delivering to /var/mail/root), and a second image store
// (Docker) pulling what was pushed and building a kernel with it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type Registry } from './registry.js';
import { QUICK_CONFIG, kernelTree, removeScratch, REPO, runMake, scratchDir, waitFor } from './support.js';

// One small image of the family keeps the builds short, under a prefix of the
// test's own (the other tests' korg- images stay as they are); its base is the
// set-up's debootstrap of bookworm, and most layers come from the engine's cache.
const PREFIX = 'kbchook-';
const IMAGE = 'gcc:12';
const NAME = `${PREFIX}gcc`;
const TAGS = ['12', '12.2-x86-x86'];
const NAMESPACE = 'kernel';
const CLI = path.join(REPO, 'dist', 'kbuild-container.cjs');
const MAILBOX = '/var/mail/root';

let registry: Registry;
let root: string;
let bare: string;
let work: string;
const figures: string[] = [];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=maint@example.org', '-c', 'user.name=Maintainer', ...args], { cwd, encoding: 'utf8' }).trim();
}

function commit(subject: string, change: () => void): string {
  change();
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', subject);
  return git(work, 'rev-parse', 'HEAD');
}

async function push(): Promise<{ ms: number; stderr: string }> {
  const start = performance.now();
  const r = await execa('git', ['push', 'origin', 'main'], { cwd: work, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  return { ms: performance.now() - start, stderr: r.stderr };
}

function record(sha: string): { state: string; start?: string; end?: string; tags: string[]; pid?: number; reason?: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(bare, 'kbuild-container', 'records', `${sha}.json`), 'utf8'));
  } catch {
    return undefined;
  }
}

async function finished(sha: string, minutes: number): Promise<void> {
  const done = await waitFor(
    async () => ['pushed', 'failed'].includes(record(sha)?.state ?? '') && !fs.existsSync(path.join(bare, 'kbuild-container', 'worker.lock')),
    minutes * 60_000,
    500,
  );
  expect(done, `build of ${sha} did not finish: ${JSON.stringify(record(sha))}`).toBeDefined();
}

/** The mail whose subject names `sha`, once dma has delivered it. */
async function mailFor(sha: string): Promise<string> {
  let found = '';
  await waitFor(
    async () => {
      const box = fs.existsSync(MAILBOX) ? fs.readFileSync(MAILBOX, 'utf8') : '';
      found = box.split(/^From /m).find((m) => m.includes(`[kbuild-container] `) && m.includes(sha.slice(0, 12))) ?? '';
      return found !== '';
    },
    30_000,
    200,
  );
  return found;
}

beforeAll(async () => {
  registry = await startRegistry();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-e2e-hook-'));
  bare = path.join(root, 'images.git');
  work = path.join(root, 'work');
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  git(root, 'clone', '-q', bare, work);
  fs.cpSync(path.join(REPO, 'images'), path.join(work, 'images'), { recursive: true });
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'images: the kbuild-container family');
  git(work, 'push', '-q', 'origin', 'main');
  await execa('podman', ['tag', 'korg-debian-base:bookworm', `${PREFIX}debian-base:bookworm`]);
  const install = await execa(
    process.execPath,
    [CLI, 'hook', 'install', bare, '--registry', `${registry.host}/${NAMESPACE}`, '--plain-http', '--mail-to', 'root', '--prefix', PREFIX, '--image', IMAGE],
    {
      reject: false,
    },
  );
  expect(install.stderr).toBe(`kbuild-container: wrote ${bare}/hooks/post-receive`);
});

afterAll(async () => {
  await registry?.stop();
  const { stdout } = await execa('podman', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { reject: false });
  const ours = String(stdout)
    .split('\n')
    .map((l) => l.replace(/^localhost\//, ''))
    .filter((l) => l.startsWith(PREFIX));
  if (ours.length > 0) await execa('podman', ['rmi', '--force', ...ours], { reject: false });
  if (root) removeScratch(root);
  if (figures.length > 0) console.log(['hook.test.ts figures:', ...figures].join('\n  '));
});

describe('git push rebuilds the images and pushes them to the registry', () => {
  let pushed = '';

  it('the push returns at once; every tag lands in the registry labelled with the commit, and a PASS mail follows', async () => {
    const sha = commit('images: a recipe change', () => fs.appendFileSync(path.join(work, 'images', 'Containerfile'), '# rebuilt by the hook test\n'));
    const { ms, stderr } = await push();
    expect(stderr).toContain(`remote: kbuild-container: queued ${sha.slice(0, 12)} for an image build`);
    figures.push(`git push returned in ${(ms / 1000).toFixed(2)} s (the build went on detached)`);
    expect(['queued', 'building']).toContain(record(sha)?.state);
    const pushedAt = Date.now();
    await finished(sha, 20);
    const r = record(sha)!;
    expect(r.state, fs.readFileSync(path.join(bare, 'kbuild-container', 'logs', `${sha}.log`), 'utf8')).toBe('pushed');
    figures.push(`build and push: ${((Date.parse(r.end!) - Date.parse(r.start!)) / 1000).toFixed(1)} s`);
    const contents = await registry.contents();
    expect(contents[`${NAMESPACE}/${NAME}`]).toEqual(expect.arrayContaining(TAGS));
    for (const tag of contents[`${NAMESPACE}/${NAME}`]) {
      expect((await registry.labels(`${NAMESPACE}/${NAME}`, tag))['org.opencontainers.image.revision']).toBe(sha);
    }
    expect(r.tags).toEqual(expect.arrayContaining(TAGS.map((t) => `${registry.host}/${NAMESPACE}/${NAME}:${t}`)));
    const mail = await mailFor(sha);
    figures.push(`push to mail: ${((Date.now() - pushedAt) / 1000).toFixed(1)} s`);
    expect(mail).toMatch(new RegExp(`^Subject: \\[kbuild-container\\] PASS ${sha.slice(0, 12)} images: a recipe change$`, 'm'));
    figures.push(`registry after the push: ${JSON.stringify(contents)}`);
    const status = await execa(process.execPath, [CLI, 'hook', 'status', bare]);
    expect(status.stdout).toMatch(new RegExp(`^${sha.slice(0, 12)}\\s+pushed\\s`, 'm'));
    pushed = sha;
  });

  it('a second image store (Docker) pulls the pushed image and builds a kernel with it', async () => {
    expect(pushed).not.toBe('');
    const ref = `${registry.host}/${NAMESPACE}/${NAME}:${TAGS[0]}`;
    await execa('/usr/bin/docker', ['rmi', ref], { reject: false });
    const out = scratchDir('docker');
    try {
      const r = await runMake('docker', kernelTree('6.1'), [`CONTAINER=${ref}`, `O=${out}`, QUICK_CONFIG]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^\\s+PULL\\s+${ref.replaceAll('.', '\\.')}$`, 'm'));
      expect(fs.existsSync(path.join(out, '.config'))).toBe(true);
      const label = execFileSync('/usr/bin/docker', ['image', 'inspect', '--format', '{{index .Config.Labels "org.opencontainers.image.revision"}}', ref], {
        encoding: 'utf8',
      }).trim();
      expect(label).toBe(pushed);
    } finally {
      removeScratch(out);
      await execa('/usr/bin/docker', ['rmi', ref], { reject: false });
    }
  });

  it('a push whose recipe fails: FAIL mail and status, the registry unchanged', async () => {
    const before = await registry.contents();
    const digests = await Promise.all(TAGS.map((t) => registry.digest(`${NAMESPACE}/${NAME}`, t)));
    // A version the installed compiler does not report: the family's own check fails the build.
    const sha = commit('images: claim a gcc that is not there', () => {
      const conf = path.join(work, 'images', 'family.conf');
      fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/^(gcc\s+gcc:12\.2-x86-x86\s+\S+\s+\S+\s+)12\.2\.0/m, '$112.9.9'));
    });
    await push();
    await finished(sha, 20);
    expect(record(sha)?.state).toBe('failed');
    expect(await mailFor(sha)).toMatch(new RegExp(`^Subject: \\[kbuild-container\\] FAIL ${sha.slice(0, 12)} `, 'm'));
    expect(await registry.contents()).toEqual(before);
    expect(await Promise.all(TAGS.map((t) => registry.digest(`${NAMESPACE}/${NAME}`, t)))).toEqual(digests);
    git(work, 'revert', '--no-edit', 'HEAD');
  });

  it('the worker killed mid-build: no build container, no lock; the next status says failed', async () => {
    const containers = () => execFileSync('podman', ['ps', '-a', '--external', '--format', '{{.ID}}'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    const before = containers();
    // A change early in the recipe, so the engine really builds (not all cached) when the kill comes.
    const sha = commit('images: force a real rebuild', () => {
      const file = path.join(work, 'images', 'Containerfile.base');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^(FROM .*)$/m, `$1\nRUN echo kill-test-${Date.now()} >/etc/kbc-kill-test`));
    });
    await push();
    const building = await waitFor(async () => /podman build/.test(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })), 120_000, 200);
    expect(building).toBeDefined();
    const worker = record(sha)!.pid!;
    process.kill(worker, 'SIGKILL');
    const quiet = await waitFor(
      async () =>
        !/podman build/.test(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })) && !fs.existsSync(path.join(bare, 'kbuild-container', 'worker.lock')),
      30_000,
      200,
    );
    expect(quiet).toBeDefined();
    expect(containers()).toEqual(before);
    const status = await execa(process.execPath, [CLI, 'hook', 'status', bare]);
    expect(status.stdout).toMatch(new RegExp(`^${sha.slice(0, 12)}\\s+failed\\s`, 'm'));
  });
});
