// The thin half of the push hook: the files under BARE_REPO/kbuild-container/,
// the detached worker, the build and push processes, the mail. What to do is
// decided in decide.ts.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../errors.js';
import { startLifeline } from '../supervise/lifeline.js';
import { isAlive } from '../supervise/run-record.js';
import {
  type BuildRecord,
  checkMailAddress,
  commitToQueue,
  composeMail,
  formatStatus,
  type HookConfig,
  hookScript,
  isOurHook,
  parseRefUpdates,
  parseRegistry,
  pushedTags,
  reconcile,
  supersede,
  tail,
} from './decide.js';

// Logs and records: the repository's group may read them, nobody else, nobody else writes.
const DIR_MODE = 0o750;
const FILE_MODE = 0o640;

/** Where the hook keeps its state inside a bare repository. */
export function hookPaths(repo: string) {
  const dir = path.join(repo, 'kbuild-container');
  return {
    hook: path.join(repo, 'hooks', 'post-receive'),
    dir,
    config: path.join(dir, 'config.json'),
    pending: path.join(dir, 'pending'),
    lock: path.join(dir, 'worker.lock'),
    records: path.join(dir, 'records'),
    logs: path.join(dir, 'logs'),
  };
}

/** How the installed hook calls us back: this node and this CLI file. */
export interface Runner {
  node: string;
  cli: string;
}

/** What `hook install` takes: the settings it writes. */
export type InstallOptions = HookConfig;

// Inside a hook git sets GIT_DIR, GIT_QUARANTINE_PATH and more: none may reach
// the builds or the git commands we run with an explicit --git-dir.
function cleanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('GIT_')));
}

function git(repo: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8', env: cleanEnv() });
  if (r.error) throw new UserError(`cannot run git: ${r.error.message}`);
  return { ok: r.status === 0, out: (r.stdout ?? '').trim() };
}

function requireBareRepo(repo: string): string {
  const abs = path.resolve(repo);
  if (!fs.existsSync(abs) || git(abs, ['rev-parse', '--is-bare-repository']).out !== 'true') {
    throw new UserError(`${abs}: not a bare git repository`);
  }
  return abs;
}

/** Write the hook and its settings after checking every option; nothing is written when one is wrong. */
export async function installHook(repo: string, options: InstallOptions, runner: Runner): Promise<string> {
  const abs = requireBareRepo(repo);
  const p = hookPaths(abs);
  // 1. The branch: an empty repository takes any name; otherwise it must exist.
  const branches = git(abs, ['for-each-ref', '--format=%(refname:short)', 'refs/heads']).out.split('\n').filter(Boolean);
  if (!/^[A-Za-z0-9._/-]+$/.test(options.branch) || (branches.length > 0 && !branches.includes(options.branch))) {
    throw new UserError(`--branch '${options.branch}': no such branch in ${abs} (it has: ${branches.join(', ') || 'none'})`);
  }
  // 2. The registry: well-formed, http only on loopback when asked, and answering now.
  if (options.registry !== undefined) {
    const registry = parseRegistry(options.registry);
    if (options.plainHttp && !registry.loopback)
      throw new UserError(`--plain-http is only for a registry on this machine (127.0.0.1, localhost), not ${registry.host}`);
    await checkRegistryAnswers(registry.host, options.plainHttp);
  } else if (options.plainHttp) {
    throw new UserError('--plain-http needs --registry');
  }
  // 3. The mail: a plain address and a sendmail to hand it to.
  if (options.mailTo !== undefined) {
    checkMailAddress(options.mailTo);
    const sendmail = options.sendmail ?? '/usr/sbin/sendmail';
    if (!fs.existsSync(sendmail)) throw new UserError(`--mail-to needs ${sendmail} (install an MTA such as dma or msmtp-mta, or set SENDMAIL)`);
  }
  if (!/^[A-Za-z0-9._/-]*$/.test(options.prefix) || options.images.some((t) => !/^[A-Za-z0-9._:/-]+$/.test(t))) {
    throw new UserError(`--prefix and --image take image names (letters, digits, . _ - : /)`);
  }
  // 4. Never over someone else's hook.
  if (fs.existsSync(p.hook) && !isOurHook(fs.readFileSync(p.hook, 'utf8'))) {
    throw new UserError(`${p.hook} exists and was not written by kbuild-container: refusing to replace it`);
  }

  const config: HookConfig = {
    branch: options.branch,
    registry: options.registry,
    plainHttp: options.plainHttp,
    mailTo: options.mailTo,
    imagesDir: options.imagesDir,
    images: options.images,
    prefix: options.prefix,
    sendmail: options.sendmail,
  };
  for (const d of [p.dir, p.records, p.logs]) makePrivateDir(d, abs);
  writeFileAtomic(p.config, JSON.stringify(config, null, 2) + '\n');
  fs.mkdirSync(path.dirname(p.hook), { recursive: true });
  writeFileAtomic(p.hook, hookScript(runner.node, runner.cli, abs), 0o755);
  return p.hook;
}

/** Remove exactly what installHook wrote: the hook and BARE_REPO/kbuild-container/. */
export function uninstallHook(repo: string): string {
  const abs = requireBareRepo(repo);
  const p = hookPaths(abs);
  if (!fs.existsSync(p.hook)) throw new UserError(`${abs} has no post-receive hook to uninstall`);
  if (!isOurHook(fs.readFileSync(p.hook, 'utf8'))) throw new UserError(`${p.hook} was not written by kbuild-container: leaving it alone`);
  const holder = lockHolder(p.lock);
  if (holder && isAlive(holder.pid) && holder.bootId === bootId())
    throw new UserError(`an image build is running (pid ${holder.pid}): wait for it, then uninstall`);
  fs.rmSync(p.hook);
  fs.rmSync(p.dir, { recursive: true, force: true });
  return p.hook;
}

/** What git's post-receive runs: queue the pushed commit, start a detached worker, say so in one line. */
export function postReceive(repo: string, input: string, out: NodeJS.WritableStream, runner: Runner): void {
  const abs = path.resolve(repo);
  const p = hookPaths(abs);
  const config = readConfig(abs);
  const commit = commitToQueue(parseRefUpdates(input), config.branch);
  if (commit === undefined) return;
  markKilledBuilds(abs);
  const record = queuedRecord(abs, commit);
  writeRecord(abs, record);
  writeFileAtomic(p.pending, commit + '\n');
  // Git waits for every open pipe of its hook: the worker gets none, and a session of its own.
  const worker = spawn(runner.node, [runner.cli, 'hook', 'worker', abs], { detached: true, stdio: 'ignore', cwd: os.tmpdir(), env: cleanEnv() });
  worker.unref();
  out.write(`kbuild-container: queued ${commit.slice(0, 12)} for an image build (log: ${record.log}; kbuild-container hook status ${abs})\n`);
}

/** The detached worker: one per repository; builds the newest queued commit until none is left. */
export async function runWorker(repo: string): Promise<void> {
  const abs = path.resolve(repo);
  const p = hookPaths(abs);
  const config = readConfig(abs);
  // Release, then look again: a push that came in between found the lock held and left its commit for us.
  while (fs.existsSync(p.pending) && acquireLock(p.lock)) {
    try {
      for (;;) {
        const claimed = `${p.pending}.${process.pid}`;
        try {
          fs.renameSync(p.pending, claimed);
        } catch {
          break;
        }
        const commit = fs.readFileSync(claimed, 'utf8').trim();
        fs.unlinkSync(claimed);
        for (const r of supersede(readRecords(abs), commit)) writeRecord(abs, r);
        await buildCommit(abs, config, commit);
      }
    } finally {
      releaseLock(p.lock);
    }
  }
}

/** `hook status`: the table, after marking builds whose worker died as failed. */
export function hookStatus(repo: string): string {
  const abs = requireBareRepo(repo);
  readConfig(abs);
  markKilledBuilds(abs);
  return formatStatus(readRecords(abs));
}

// ------------------------------------------------------------------ building

/** A pushed commit's record as the queue first holds it. */
function queuedRecord(repo: string, commit: string): BuildRecord {
  return {
    commit,
    subject: git(repo, ['log', '-1', '--format=%s', commit]).out,
    state: 'queued',
    queuedAt: new Date().toISOString(),
    tags: [],
    log: path.join(hookPaths(repo).logs, `${commit}.log`),
  };
}

async function buildCommit(repo: string, config: HookConfig, commit: string): Promise<void> {
  const p = hookPaths(repo);
  const record = readRecords(repo).find((r) => r.commit === commit) ?? queuedRecord(repo, commit);
  Object.assign(record, { state: 'building', start: new Date().toISOString(), pid: process.pid, bootId: bootId(), tags: [] });
  writeRecord(repo, record);
  const log = fs.openSync(record.log, 'w', FILE_MODE);
  const checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-hook-'));
  const say = (line: string) => fs.writeSync(log, `${line}\n`);
  try {
    // 1. A clean checkout of the pushed commit, outside the repository.
    say(`kbuild-container: building ${commit} (${record.subject}) in ${checkout}`);
    const unpack = await runLogged(
      ['/bin/sh', '-c', 'git --git-dir="$1" archive --format=tar "$2" | tar -x -C "$3"', 'checkout', repo, commit, checkout],
      '/',
      log,
      p.lock,
    );
    if (unpack !== 0) throw new Error(`cannot check out ${commit} (exit ${unpack})`);
    const dir = path.join(checkout, config.imagesDir);
    if (!fs.existsSync(path.join(dir, 'Makefile'))) throw new Error(`${config.imagesDir}/Makefile: not in commit ${commit.slice(0, 12)}`);
    // 2. Build every image first; 3. push only when all of them built.
    const common = [`PREFIX=${config.prefix}`, `REVISION=${commit}`, ...(config.images.length > 0 ? [`IMAGES=${config.images.join(' ')}`] : [])];
    const built = await runLogged(['make', '-C', dir, ...common], checkout, log, p.lock);
    if (built !== 0) throw new Error(`image build failed (make exit ${built})`);
    if (config.registry) {
      const push = ['make', '-C', dir, 'push', ...common, `REGISTRY=${config.registry}`, ...(config.plainHttp ? ['PLAIN_HTTP=1'] : [])];
      const pushed = await runLogged(push, checkout, log, p.lock);
      if (pushed !== 0) throw new Error(`push to ${config.registry} failed (make exit ${pushed})`);
    }
    record.state = config.registry ? 'pushed' : 'built';
  } catch (err) {
    record.state = 'failed';
    record.reason = (err as Error).message;
    say(`kbuild-container: FAIL: ${record.reason}`);
  } finally {
    fs.rmSync(checkout, { recursive: true, force: true });
  }
  const text = fs.readFileSync(record.log, 'utf8');
  record.tags = pushedTags(text);
  record.end = new Date().toISOString();
  if (record.state !== 'failed') say(`kbuild-container: PASS: ${record.tags.length} tag(s) pushed`);
  fs.closeSync(log);
  writeRecord(repo, record);
  if (config.mailTo) sendMail(config.sendmail ?? '/usr/sbin/sendmail', composeMail(config.mailTo, record, repo, tail(fs.readFileSync(record.log, 'utf8'), 40)));
}

// Stops a build's process group when the worker dies (SIGKILL included): TERM
// first so podman/docker build remove their build containers, KILL after 10 s;
// then the lifeline removes the worker's lock. dash's kill wants `-s SIG -- -PGID`
// (`-SIG -- -PGID` is "Illegal number": measured).
const STOP_GROUP =
  'kill -s TERM -- "-$1" 2>/dev/null || exit 0; i=0; while kill -s 0 -- "-$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -s KILL -- "-$1" 2>/dev/null; exit 0';

/** Run one step in a process group of its own, its output into the log, with the same lifeline builds have. */
function runLogged(argv: string[], cwd: string, log: number, lockFile: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, detached: true, stdio: ['ignore', log, log], env: cleanEnv() });
    child.once('error', (err) => {
      fs.writeSync(log, `kbuild-container: cannot run ${argv[0]}: ${err.message}\n`);
      resolve(127);
    });
    if (child.pid === undefined) return;
    const lifeline = startLifeline('/bin/sh', ['-c', STOP_GROUP, 'kbuild-container-hook-stop', String(child.pid)], lockFile);
    child.once('exit', (code, signal) => {
      lifeline.release();
      resolve(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
}

function sendMail(sendmail: string, message: string): void {
  const r = spawnSync(sendmail, ['-t', '-oi'], { input: message, stdio: ['pipe', 'ignore', 'ignore'], timeout: 60_000 });
  if (r.status !== 0) process.stderr.write(`kbuild-container: ${sendmail} failed (exit ${r.status})\n`);
}

// ------------------------------------------------------------------ files

function readConfig(repo: string): HookConfig {
  const file = hookPaths(repo).config;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    throw new UserError(`${repo}: no kbuild-container hook installed (kbuild-container hook install ${repo})`);
  }
}

function readRecords(repo: string): BuildRecord[] {
  const dir = hookPaths(repo).records;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return [];
  }
  const records: BuildRecord[] = [];
  for (const n of names) {
    try {
      records.push(JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')));
    } catch {
      // written by a process killed mid-write: the atomic rename makes this a leftover temp name only
    }
  }
  return records;
}

function writeRecord(repo: string, record: BuildRecord): void {
  writeFileAtomic(path.join(hookPaths(repo).records, `${record.commit}.json`), JSON.stringify(record) + '\n');
}

function markKilledBuilds(repo: string): void {
  const p = hookPaths(repo);
  const before = readRecords(repo);
  const after = reconcile(before, isAlive, bootId(), new Date());
  after.forEach((r, i) => {
    if (r !== before[i]) writeRecord(repo, r);
  });
  const holder = lockHolder(p.lock);
  if (holder && !(isAlive(holder.pid) && holder.bootId === bootId())) fs.rmSync(p.lock, { force: true });
}

function writeFileAtomic(file: string, text: string, mode = FILE_MODE): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text, { mode });
  fs.chmodSync(tmp, mode); // the umask must not widen or narrow it
  fs.renameSync(tmp, file);
}

function makePrivateDir(dir: string, repo: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, DIR_MODE);
  try {
    fs.chownSync(dir, fs.statSync(dir).uid, fs.statSync(repo).gid); // the repository's group reads the logs
  } catch {
    // not a member of that group: the directory keeps ours
  }
}

// ------------------------------------------------------------------ the worker lock

interface LockHolder {
  pid: number;
  bootId: string;
}

function lockHolder(file: string): LockHolder | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function acquireLock(file: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid: process.pid, bootId: bootId() }), { flag: 'wx', mode: FILE_MODE });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = lockHolder(file);
      if (holder && isAlive(holder.pid) && holder.bootId === bootId()) return false;
      fs.rmSync(file, { force: true }); // its worker is gone: killed, or before a reboot
    }
  }
  return false;
}

function releaseLock(file: string): void {
  const holder = lockHolder(file);
  if (holder?.pid === process.pid) fs.rmSync(file, { force: true });
}

let cachedBootId: string | undefined;
function bootId(): string {
  cachedBootId ??= (() => {
    try {
      return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return 'unknown';
    }
  })();
  return cachedBootId;
}

async function checkRegistryAnswers(host: string, plainHttp: boolean): Promise<void> {
  const url = `${plainHttp ? 'http' : 'https'}://${host}/v2/`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    // 401 is a registry asking for the engine's own credentials: reachable.
    if (res.status === 200 || res.status === 401) return;
    throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    throw new UserError(
      `registry ${host} does not answer at ${url}: ${(err as Error).cause ? ((err as Error).cause as Error).message : (err as Error).message}`,
    );
  }
}
