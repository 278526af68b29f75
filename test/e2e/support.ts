// Shared pieces of the end-to-end tier: real engines, real kernel trees, the
// real runner behind the real Makefile.container. Nothing here is mocked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options } from 'execa';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const FRAGMENT = path.join(REPO, 'make', 'Makefile.container');
export const CACHE = process.env.KBC_CACHE ?? '/var/cache/kbuild-container';
export const ROOTLESS_USER = process.env.KBC_USER ?? 'kbuilder';

/** The three ways we run containers; each has its own image store. */
export type EngineKind = 'podman' | 'rootless' | 'docker';
export const ENGINE_KINDS: EngineKind[] = ['podman', 'rootless', 'docker'];

/** The label on every container the runner starts; its value is the run id. */
export const RUN_LABEL = 'io.kbuild-container.run';

/**
 * The configuration goal where the configuration is incidental (a build only
 * sampled or interrupted, a directory that only has to compile, a tree only
 * configured): tinyconfig is allnoconfig plus a fragment merge and an
 * olddefconfig, each pass probing the compiler again. In a container under a
 * build's load: linux 7.2 with Clang 18, 143 s against 43 s; 6.1 with GCC 12,
 * 28 s against 16 s.
 */
export const QUICK_CONFIG = 'allnoconfig';

/** The runner's one stderr line naming engine and image ("  PODMAN  korg-gcc:12"), which -s silences. */
export function banner(kind: EngineKind, image: string): string {
  return `  ${runtimeOf(kind).toUpperCase().padEnd(7)} ${image}`;
}

/** The target of make's own report when its recipe, the runner, failed. */
const RECIPE = String.raw`Makefile\.container:\d+: __container\]`;
/** make's whole line for a failed runner: `make: *** [.../Makefile.container:N: __container] Error N`. */
export const RECIPE_ERROR = new RegExp(String.raw`^make: \*\*\* \[.*${RECIPE} Error \d+$`);
/** make's report of how the runner ended, anywhere in the output: recipeSays('Error 130'), recipeSays('Killed'). */
export function recipeSays(how: string): RegExp {
  return new RegExp(`${RECIPE} ${how}`);
}

/** The runtime name CONTAINER_RUNTIME takes for an engine kind. */
export function runtimeOf(kind: EngineKind): 'podman' | 'docker' {
  return kind === 'docker' ? 'docker' : 'podman';
}

/** A pristine Debian kernel tree unpacked by scripts/fetch-kernels.sh. */
export function kernelTree(version: string): string {
  const dir = path.join(CACHE, `linux-${version}`);
  if (!fs.existsSync(path.join(dir, 'Makefile'))) {
    throw new Error(`no kernel tree at ${dir}: run scripts/fetch-kernels.sh ${version}`);
  }
  return dir;
}

/** A bin directory holding `kbuild-container` → the built (bundled) runner, as npm install -g links it; readable by the rootless user. */
export function runnerBinDir(): string {
  const dir = path.join(os.tmpdir(), 'kbc-e2e-bin');
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const link = path.join(dir, 'kbuild-container');
  const target = path.join(REPO, 'dist', 'kbuild-container.cjs');
  if (!fs.existsSync(target)) throw new Error(`${target} missing: run npm run build first`);
  // Never a moment without the link: a make started just before (the second of
  // two concurrent startMake calls) may be exec'ing it right now. Made under a
  // private name, then renamed over the old one (atomic), only when it differs.
  let current: string | undefined;
  try {
    current = fs.readlinkSync(link);
  } catch {}
  if (current !== target) {
    const fresh = `${link}.${process.pid}`;
    fs.rmSync(fresh, { force: true });
    fs.symlinkSync(target, fresh);
    fs.renameSync(fresh, link);
  }
  return dir;
}

/**
 * A PATH of the system directories a plain shell has (/usr/sbin /usr/bin
 * /sbin /bin), made in `dir` as symlinks to every command found there except
 * `absent`: those commands are missing whatever is installed globally (an
 * `npm install -g kbuild-container` puts the runner in /usr/bin or /usr/local/bin).
 */
export function systemPathWithout(absent: string[], dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true, mode: 0o755 });
  for (const from of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    let names: string[];
    try {
      names = fs.readdirSync(from);
    } catch {
      continue;
    }
    for (const name of names) {
      const link = path.join(bin, name);
      if (absent.includes(name) || fs.existsSync(link)) continue;
      fs.symlinkSync(path.join(from, name), link);
    }
  }
  return bin;
}

/** A fresh directory that the engine kind's user owns (for O= and scratch files). */
export function scratchDir(kind: EngineKind, prefix = 'kbc-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  if (kind === 'rootless') {
    const { uid, gid } = userIds(ROOTLESS_USER);
    fs.chownSync(dir, uid, gid);
  }
  return dir;
}

/** Remove a directory made by scratchDir (or any temp dir of a test), whoever owns its files. */
export function removeScratch(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export function userIds(user: string): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(user + ':'));
  if (!line) throw new Error(`no user ${user}: run scripts/setup-engines.sh`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Wrap argv so it runs as the engine kind's user (rootless Podman needs its own user). */
export function asUser(kind: EngineKind, argv: string[]): string[] {
  return kind === 'rootless' ? [path.join(REPO, 'scripts', 'as-kbuilder.sh'), ...argv] : argv;
}

export interface MakeResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  signal?: string;
  ms: number;
}

/**
 * Run `make -f Makefile.container ARGS` (or plain `make ARGS` with fragment=false,
 * e.g. in an enabled tree) as the engine kind's user, CONTAINER_RUNTIME set
 * (unless runtime=false: the runner then picks the engine itself).
 */
export async function runMake(
  kind: EngineKind,
  cwd: string,
  args: string[],
  options: { fragment?: boolean; runtime?: boolean; env?: Record<string, string>; input?: string; execa?: Options } = {},
): Promise<MakeResult> {
  const runtime = options.runtime === false ? [] : [`CONTAINER_RUNTIME=${runtimeOf(kind)}`];
  const makeArgv = ['make', ...(options.fragment === false ? [] : ['-f', FRAGMENT]), ...runtime, ...args];
  const [file, ...rest] = asUser(kind, makeArgv);
  const start = Date.now();
  const result = await execa(file, rest, {
    cwd,
    reject: false,
    stripFinalNewline: false,
    // A PATH in options.env wins: tests take engines off it.
    env: { PATH: `${runnerBinDir()}:${process.env.PATH}`, ...options.env },
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
    ...options.execa,
  });
  return {
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    exitCode: result.exitCode ?? -1,
    signal: result.signal ?? undefined,
    ms: Date.now() - start,
  };
}

/** Containers of ours (any run) that the engine kind still has, running or not. */
export async function ourContainers(kind: EngineKind): Promise<string[]> {
  const argv = asUser(kind, [runtimeOf(kind), 'ps', '-a', '-q', '--filter', `label=${RUN_LABEL}`]);
  const { stdout } = await execa(argv[0], argv.slice(1), { reject: false });
  return String(stdout).split('\n').filter(Boolean);
}

/** Host processes whose command line mentions `needle` (a tree or O= path): the build's, on either side. */
export function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  return hostProcesses()
    .filter((p) => p.pid !== process.pid && p.cmd.includes(needle))
    .map((p) => ({ pid: p.pid, cmd: p.cmd }));
}

/** Poll until `done()` holds or `ms` pass; returns the elapsed time or undefined on time-out. */
export async function waitFor(done: () => Promise<boolean>, ms: number, stepMs = 50): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start <= ms) {
    if (await done()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return undefined;
}

/** Path, size and mtime of every file under `dir`: a cheap fingerprint to prove a tree untouched. */
export async function treeFingerprint(dir: string): Promise<string> {
  const { stdout } = await execa('find', [dir, '-printf', '%P %s %T@ %m\\n']);
  return String(stdout).split('\n').sort().join('\n');
}

/**
 * Like treeFingerprint, plus inode, owner and ctime: a write can restore mtime
 * but never ctime, so an equal snapshot means no file was written, replaced or
 * re-owned (a cheap stand-in for hashing 1.5 GB: 1-2 s against 11 s).
 */
export async function treeSnapshot(dir: string): Promise<string> {
  const { stdout } = await execa('find', [dir, '-printf', '%P %y %s %m %U:%G %i %T@ %C@ %l\\n']);
  return String(stdout).split('\n').sort().join('\n');
}

/** A throw-away writable view of a pristine tree (overlayfs; needs root). */
export interface Overlay {
  /** The merged, writable tree. */
  dir: string;
  /** Where overlayfs keeps every change (whiteouts included): empty while nothing was written. */
  upper: string;
  /** Drop every change: the view is the pristine tree again, at the same path. */
  reset(): Promise<void>;
  /** Unmount and delete everything. */
  remove(): Promise<void>;
}

/**
 * Mount an overlay of `lower` in a fresh temp dir: every write lands in `upper`, never in `lower`.
 * With `inPlace`, the overlay is mounted over `lower` itself, at the pristine
 * path, until remove(): Kbuild's command lines name the source tree's absolute
 * path, so a shared build's O= made from the pristine tree is up to date in
 * it. Only for a file's own window: every engine and test sees the overlay
 * there meanwhile (rootless Podman's namespace, started before, does not).
 */
export async function mountOverlay(lower: string, prefix = 'kbc-overlay-', { inPlace = false } = {}): Promise<Overlay> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const [upper, work] = ['upper', 'work'].map((d) => path.join(base, d));
  const dir = inPlace ? lower : path.join(base, 'tree');
  const mount = async () => {
    for (const d of [upper, work, dir]) fs.mkdirSync(d, { recursive: true });
    if (!inPlace) fs.chmodSync(dir, 0o755);
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, dir]);
  };
  const unmount = async () => {
    if (
      fs
        .readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .some((l) => l.split(' ')[1] === dir)
    )
      await execa('umount', [dir]);
  };
  await mount();
  return {
    dir,
    upper,
    async reset() {
      await unmount();
      fs.rmSync(upper, { recursive: true, force: true });
      fs.rmSync(work, { recursive: true, force: true });
      await mount();
    },
    async remove() {
      await unmount();
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * A copy of a pristine tree that any engine sees, rootless Podman too (whose
 * namespace does not see an overlay mounted after it started): hard links
 * (`cp -al`, a second or two), root-owned, readable by all. Change a file in it
 * only by replacing it (replaceFile): a write in place would reach the pristine
 * tree. Remove it with removeScratch.
 */
export async function linkedTree(lower: string, prefix = 'kbc-linked-'): Promise<string> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(base, 0o755);
  const dir = path.join(base, 'tree');
  await execa('cp', ['-al', lower, dir]);
  return dir;
}

/** Give `file` new contents through a new inode (write, then rename over it): safe in a linkedTree. */
export function replaceFile(file: string, text: string): void {
  const fresh = `${file}.kbc-new`;
  fs.writeFileSync(fresh, text, { mode: fs.statSync(file).mode & 0o777 });
  fs.renameSync(fresh, file);
}

/** Every path under `dir` not owned by uid:gid. */
export async function filesNotOwnedBy(dir: string, uid: number, gid: number): Promise<string[]> {
  const { stdout } = await execa('find', [dir, '(', '!', '-uid', String(uid), '-o', '!', '-gid', String(gid), ')', '-print']);
  return String(stdout).split('\n').filter(Boolean);
}

/** uid:gid the engine kind's builds must produce files as. */
export function callerIds(kind: EngineKind): { uid: number; gid: number } {
  return kind === 'rootless' ? userIds(ROOTLESS_USER) : { uid: process.getuid!(), gid: process.getgid!() };
}

/** A make running in its own process group (and session), watched while it runs. */
export interface MakeHandle {
  /** The group leader: make itself, or the as-kbuilder wrapper around it; also the group id. */
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Settles when the leader exits (never rejects). */
  result: Promise<MakeResult>;
}

/**
 * Start what runMake runs, but in the background in a new process group
 * (`setsid`), so a test can signal the group, the runner or make itself.
 */
export function startMake(
  kind: EngineKind,
  cwd: string,
  args: string[],
  options: { fragment?: boolean; env?: Record<string, string>; make?: string } = {},
): MakeHandle {
  const makeArgv = [options.make ?? 'make', ...(options.fragment === false ? [] : ['-f', FRAGMENT]), `CONTAINER_RUNTIME=${runtimeOf(kind)}`, ...args];
  const [file, ...rest] = asUser(kind, makeArgv);
  const start = Date.now();
  let out = '';
  let err = '';
  const child = execa(file, rest, {
    cwd,
    reject: false,
    detached: true,
    stdin: 'ignore',
    stripFinalNewline: false,
    env: { PATH: `${runnerBinDir()}:${process.env.PATH}`, ...options.env },
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  if (child.pid === undefined) throw new Error(`cannot start ${file}`);
  const result = child.then((r) => ({ stdout: out, stderr: err, exitCode: r.exitCode ?? -1, signal: r.signal ?? undefined, ms: Date.now() - start }));
  const handle = { pid: child.pid, stdout: () => out, stderr: () => err, result };
  runningMakes.add(handle);
  void result.then(() => runningMakes.delete(handle));
  return handle;
}

const runningMakes = new Set<MakeHandle>();

/**
 * Stop every make startMake began that still runs (a test timed out or failed
 * half-way): SIGINT to its group as Ctrl-C would, SIGKILL after 5 s. For afterEach.
 */
export async function stopRunningMakes(): Promise<void> {
  const within = (p: Promise<unknown>, ms: number) => Promise.race([p, new Promise((r) => setTimeout(r, ms))]);
  for (const handle of [...runningMakes]) {
    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      try {
        process.kill(-handle.pid, signal);
      } catch {
        break; // the group is gone
      }
      if (
        await within(
          handle.result.then(() => true),
          5000,
        )
      )
        break;
    }
  }
}

export interface HostProcess {
  pid: number;
  ppid: number;
  name: string;
  cmd: string;
  /** The working directory, when readable (we run as root: always, unless the process is gone). */
  cwd?: string;
  /** The state letter of /proc/PID/stat: R, S, D, Z (zombie: exited, not yet reaped) ... */
  state?: string;
}

/**
 * Every process on the host right now, with its working directory and state,
 * read straight from /proc (about 5 ms, no `ps` started): cheap enough for
 * polls that step every 20 ms without loading the machine they measure.
 */
export function hostProcesses(): HostProcess[] {
  const found: HostProcess[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const [state, ppid] = stat.slice(close + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      // As ps prints it: arguments joined by blanks, control characters as blanks.
      const cmd =
        fs
          .readFileSync(`/proc/${entry}/cmdline`, 'utf8')
          .replace(/\0+$/, '')
          .replace(/[\0-\x1f]/g, ' ') || `[${name}]`;
      let cwd: string | undefined;
      try {
        cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      } catch {
        cwd = undefined;
      }
      found.push({ pid: Number(entry), ppid: Number(ppid), name, cmd, cwd, state });
    } catch {
      // gone while we looked
    }
  }
  return found;
}

/** The processes below `pid` (not `pid` itself), by parent links. */
export function descendantsOf(pid: number, procs: HostProcess[]): HostProcess[] {
  const found: HostProcess[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = procs.filter((p) => frontier.includes(p.ppid) && p.pid !== pid);
    found.push(...next);
    frontier = next.map((p) => p.pid);
  }
  return found;
}

/** True when `p` names `dir` (as a whole path) or its working directory is at or below `dir`. */
function touches(p: HostProcess, dir: string): boolean {
  if (p.cwd === dir || p.cwd?.startsWith(dir + '/')) return true;
  const at = p.cmd.indexOf(dir);
  return at >= 0 && /^(?:$|[\s/])/.test(p.cmd.slice(at + dir.length));
}

/**
 * The processes of one build on the host, on either side of the engine:
 * `pids` (make, runner, engine client, recorded while they ran), anything
 * whose working directory or command line is in one of `dirs` (the O= dir:
 * inner make, compilers; Kbuild gives compilers relative paths, so the
 * working directory is what finds them), and anything naming one of `words`
 * (container name or id: conmon, shim, lifeline, `ENGINE rm`). Zombies do
 * not count: they have exited and only wait for their parent to reap them
 * (orphans are reaped by PID 1, which on the test VM does so lazily, ~1 s).
 */
export function buildProcesses(
  procs: HostProcess[],
  { pids = new Set<number>(), dirs = [], words = [] }: { pids?: Set<number>; dirs?: string[]; words?: string[] },
): HostProcess[] {
  return procs.filter(
    (p) => p.pid !== process.pid && p.state !== 'Z' && (pids.has(p.pid) || dirs.some((d) => touches(p, d)) || words.some((w) => p.cmd.includes(w))),
  );
}

/** Full ids of the containers (running or not) of one run, by its label value. */
export async function containersOfRun(kind: EngineKind, runId: string): Promise<string[]> {
  const argv = asUser(kind, [runtimeOf(kind), 'ps', '-a', '-q', '--no-trunc', '--filter', `label=${RUN_LABEL}=${runId}`]);
  const { stdout } = await execa(argv[0], argv.slice(1), { reject: false });
  return String(stdout).split('\n').filter(Boolean);
}

/** The run id of the engine client among `procs` (its `--label=RUN_LABEL=ID`). */
export function runIdOf(procs: HostProcess[]): string | undefined {
  for (const p of procs) {
    const m = new RegExp(`--label=${RUN_LABEL.replaceAll('.', '\\.')}=(\\S+)`).exec(p.cmd);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Containers of ours (label) that the engine kind still has and that mount one
 * of `dirs`: what one test file left behind, while other suites may run beside it.
 */
export async function containersMounting(kind: EngineKind, dirs: string[]): Promise<string[]> {
  const ids = await ourContainers(kind);
  if (ids.length === 0 || dirs.length === 0) return [];
  const argv = asUser(kind, [runtimeOf(kind), 'inspect', '--format', '{{.Name}} {{range .Mounts}}{{.Source}} {{end}}', ...ids]);
  const { stdout } = await execa(argv[0], argv.slice(1), { reject: false });
  const under = (source: string, dir: string) => source === dir || source.startsWith(dir + '/');
  return String(stdout)
    .split('\n')
    .filter((line) => line.split(' ').some((source) => dirs.some((d) => under(source, d))));
}

export interface Sampling {
  /** Stop sampling; resolves with every sample taken (one count per sample). */
  stop(): Promise<number[]>;
}

/**
 * Count, every `intervalMs`, the running processes `count` picks out of the
 * host's, until stopped.
 */
export function sampleProcesses(count: (procs: HostProcess[]) => number, intervalMs = 100): Sampling {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const start = Date.now();
      samples.push(count(hostProcesses().filter((p) => p.state !== 'Z')));
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - start))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

/**
 * A cc1 that compiles a source file (a .c, or a .S through the preprocessor),
 * not one of Kbuild's compiler probes: cc-option and friends run
 * `$(CC) ... -x c /dev/null` (or read `-`) through `$(shell)`, which make runs
 * outside its job slots, natively too (a native 6.1 tinyconfig make -j2,
 * sampled every 10 ms, showed two compiles and a /dev/null probe at once).
 */
export function isCompileJob(cmd: string): boolean {
  return / \S+\.[cS](?= |$)/.test(cmd);
}

/** Compile jobs (cc1 on a source file) at work in one of `dirs`: Kbuild runs them with the O= dir as working directory. */
export function compilersIn(dirs: string[]): (procs: HostProcess[]) => number {
  return (procs) => procs.filter((p) => p.name === 'cc1' && isCompileJob(p.cmd) && dirs.some((d) => p.cwd === d || p.cwd?.startsWith(d + '/'))).length;
}
