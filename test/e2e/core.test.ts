// The core issue, end to end: `make CONTAINER=img ...` on a real kernel tree
// behaves as if make ran on the host, on rootful Podman, rootless Podman and
// Docker. One korg-gcc:12 bzImage build per engine (O= outside the tree,
// shared with other files, so no engine builds a kernel only for this file:
// linux 6.1 tinyconfig on rootful Podman, as matrix.test.ts and
// jobserver.test.ts; linux 6.12 tinyconfig as the rootless user, matrix's
// cell; on Docker the linux 7.2 bootable one boot.test.ts boots) is reused for the follow-up checks, in a copy;
// the quick checks need no kernel build and run on rootful Podman (linux 6.1)
// unless the point is per engine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINE_KINDS,
  RECIPE_ERROR,
  asUser,
  banner,
  callerIds,
  containersMounting,
  filesNotOwnedBy,
  kernelTree,
  runMake,
  runnerBinDir,
  runtimeOf,
  scratchDir,
  treeSnapshot,
  type EngineKind,
  type MakeResult,
  QUICK_CONFIG,
} from './support.js';
import { BOOT_BUILDS, ROOTLESS_BUILD, builtElsewhere, sharedBuild, sharedCopy, tinyBzImage61, type BuildSpec, type SharedBuild } from './shared-builds.js';

const TREE = kernelTree('6.1');
const IMAGE = 'korg-gcc:12';
// What make 4.3/4.4 print when a jobserver is lost or mangled across the boundary.
const JOBSERVER_WARNING = /forced in submake|invalid --jobserver-auth|jobserver unavailable|resetting jobserver mode/;
const BANNER = (kind: EngineKind, image = IMAGE) => banner(kind, image);

/** Figures for the report, printed once at the end. */
const figures: string[] = [];
function note(what: string, r: MakeResult): MakeResult {
  figures.push(`${what}: ${(r.ms / 1000).toFixed(1)} s, exit ${r.exitCode}`);
  return r;
}

// A runner that starts while another suite's killed run left a record behind
// removes that container and says so: true, but not about this run.
const STALE_NOTICE = /^kbuild-container: removed container \S+ left behind by an earlier run\n/gm;

/** stderr without notices about other runs' leftovers. */
function stderrOf(r: MakeResult): string {
  return r.stderr.replace(STALE_NOTICE, '');
}

/** Lines of stderr that are ours: without the banner and make's own "*** [...__container] Error N". */
function runnerLines(kind: EngineKind, r: MakeResult, image = IMAGE): string[] {
  return stderrOf(r)
    .split('\n')
    .filter((l) => l !== '' && l !== BANNER(kind, image) && !RECIPE_ERROR.test(l));
}

function expectCleanOutput(r: MakeResult): void {
  expect(r.stdout.includes('\r') || r.stderr.includes('\r'), 'a \\r in the captured output').toBe(false);
  expect(r.stdout + r.stderr).not.toMatch(JOBSERVER_WARNING);
}

/** Plain make on the host, as root: what the container build must look like. */
function nativeMake(cwd: string, args: string[]): Promise<MakeResult> {
  return runMake('podman', cwd, args, { fragment: false, runtime: false });
}

/** Each engine's shared korg-gcc:12 bzImage build (see the header). */
const ENGINE_BUILD: Record<EngineKind, BuildSpec> = {
  podman: tinyBzImage61('podman'),
  rootless: ROOTLESS_BUILD,
  docker: BOOT_BUILDS.x86_64_72,
};

/** What configuring put in .config: every option the fragment asks for (tinyconfig's kernel/configs/tiny-base.config, or the allnoconfig one). */
function configuredLines(spec: BuildSpec): RegExp[] {
  return fs
    .readFileSync(spec.allconfig ?? path.join(kernelTree(spec.kernel), 'kernel/configs/tiny-base.config'), 'utf8')
    .split('\n')
    .filter((l) => /^CONFIG_\w+=y$/.test(l))
    .map((l) => new RegExp(`^${l}$`, 'm'));
}

const pristine = new Map<string, string>();
const scratch: string[] = [];
/** The shared builds' O= dirs this file used (removed at the end of the run, not here). */
const sharedOuts: string[] = [];
function tmpDir(kind: EngineKind = 'podman', prefix = 'kbc-core-'): string {
  const dir = scratchDir(kind, prefix);
  scratch.push(dir);
  return dir;
}

beforeAll(async () => {
  for (const kernel of new Set(Object.values(ENGINE_BUILD).map((spec) => spec.kernel))) pristine.set(kernel, await treeSnapshot(kernelTree(kernel)));
});

afterAll(async () => {
  const left = (await Promise.all(ENGINE_KINDS.map((kind) => containersMounting(kind, [...scratch, ...sharedOuts])))).flat();
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  if (figures.length > 0) console.log(['core.test.ts figures (image korg-gcc:12; linux 6.1 unless named):', ...figures].join('\n  '));
  expect(left, 'containers left behind').toEqual([]);
});

describe.each(
  ENGINE_KINDS.map((kind) => [kind, ENGINE_BUILD[kind].kernel, ENGINE_BUILD[kind].allconfig ? 'allnoconfig + boot fragment' : 'tinyconfig'] as const),
)('%s: linux %s, %s then bzImage, O= outside the tree', (kind, kernel) => {
  // The build itself is shared (shared-builds.ts): its configuring and make -j2 bzImage, recorded.
  const spec = ENGINE_BUILD[kind];
  const tree = kernelTree(kernel);
  // Figures name the kernel when it is not the quick checks' 6.1.
  const which = kernel === '6.1' ? '' : `linux ${kernel} `;
  let shared: SharedBuild;
  // Where the tests below run make again: a private copy of its O=, or, for an
  // x86_64 build, O= itself. A copied x86_64 O= rebuilds everything: tools/objtool's
  // dependency files name the original O= by its absolute path, so objtool is
  // relinked and every object depends on it (measured, linux 7.2). Those tests
  // change nothing in O= (a no-op rebuild, a goal that does not exist).
  let out: string;
  const make = (args: string[]) => runMake(kind, tree, [`CONTAINER=${spec.image}`, `O=${out}`, ...(spec.vars ?? []), ...args]);

  beforeAll(async () => {
    shared = await sharedBuild(spec);
    sharedOuts.push(shared.out);
    if (fs.existsSync(path.join(shared.out, 'tools/objtool/objtool'))) {
      out = shared.out;
    } else {
      out = await sharedCopy(shared, `kbc-core-${kind}-`);
      scratch.push(out);
    }
  });

  it('configuring writes O=/.config', () => {
    const r = note(`${kind} ${which}${spec.allconfig ? 'allnoconfig + boot fragment' : 'tinyconfig'}${builtElsewhere(shared)}`, shared.configure);
    expect(r.exitCode, r.stderr).toBe(0);
    expectCleanOutput(r);
    expect(
      stderrOf(r)
        .split('\n')
        .filter((l) => l === BANNER(kind)),
    ).toHaveLength(1);
    const config = fs.readFileSync(path.join(shared.out, '.config'), 'utf8');
    for (const line of configuredLines(spec)) expect(config).toMatch(line);
  });

  it('make -j2 bzImage builds the kernel, with no jobserver warning', () => {
    const r = note(`${kind} ${which}-j2 bzImage${builtElsewhere(shared)}`, shared.build);
    expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
    expectCleanOutput(r);
    expect(r.stdout).toMatch(/^Kernel: arch\/x86\/boot\/bzImage is ready/m);
    expect(fs.statSync(path.join(shared.out, 'arch/x86/boot/bzImage')).size).toBeGreaterThan(100_000);
  });

  it('every file under O= belongs to the caller', async () => {
    const { uid, gid } = callerIds(kind);
    expect(fs.existsSync(path.join(shared.out, 'vmlinux'))).toBe(true);
    expect(await filesNotOwnedBy(shared.out, uid, gid)).toEqual([]);
  });

  it('the source tree is untouched (no write, no new file, no ownership change)', async () => {
    expect(await treeSnapshot(tree)).toBe(pristine.get(kernel));
  });

  it('two goals in one command run in one container, in order', async () => {
    const r = note(`${kind} ${which}-j2 kernelversion bzImage (no-op rebuild)`, await make(['-j2', 'kernelversion', 'bzImage']));
    expect(r.exitCode, r.stderr).toBe(0);
    expectCleanOutput(r);
    // One banner: the runner ran once, with both goals.
    expect(
      stderrOf(r)
        .split('\n')
        .filter((l) => l === BANNER(kind)),
    ).toHaveLength(1);
    const version = r.stdout.search(new RegExp(`^${kernel.replace('.', '\\.')}\\.\\d+$`, 'm'));
    const ready = r.stdout.search(/^Kernel: arch\/x86\/boot\/bzImage is ready/m);
    expect(version).toBeGreaterThanOrEqual(0);
    expect(ready).toBeGreaterThan(version);
  });

  it("a failing goal fails with make's own message and status", async () => {
    const nativeOut = tmpDir('podman');
    const native = await nativeMake(tree, [`O=${nativeOut}`, 'nosuchtarget']);
    const r = await make(['nosuchtarget']);
    expect(native.exitCode).toBe(2);
    expect(r.exitCode).toBe(native.exitCode);
    expect(r.stderr).toContain("*** No rule to make target 'nosuchtarget'.  Stop.");
    expectCleanOutput(r);
  });
});

/** A bin dir whose `podman` and `docker` log their argv and then run the real engine. */
function recordingEngines(): { bin: string; log: string; calls: () => string[] } {
  const bin = tmpDir('podman', 'kbc-core-shim-');
  const log = path.join(bin, 'calls.log');
  for (const engine of ['podman', 'docker']) {
    const real = ['/usr/local/bin', '/usr/bin'].map((d) => path.join(d, engine)).find((f) => fs.existsSync(f))!;
    fs.writeFileSync(path.join(bin, engine), `#!/bin/sh\necho "${engine} $*" >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  }
  return { bin, log, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

/** A bin dir with make and node only: no container engine on a PATH made of it. */
function pathWithoutEngines(): string {
  const bin = tmpDir('podman', 'kbc-core-noengine-');
  for (const tool of ['make', 'node']) fs.symlinkSync(execaWhich(tool), path.join(bin, tool));
  return `${bin}:${runnerBinDir()}`;
}

function execaWhich(tool: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const f = path.join(dir, tool);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`${tool} not on PATH`);
}

/** The argv a shell reads from a printed command line. */
async function shellWords(command: string): Promise<string[]> {
  const { stdout } = await execa('sh', ['-c', 'eval "set -- $1"; printf "%s\\0" "$@"', 'sh', command], { stripFinalNewline: false });
  return String(stdout).split('\0').slice(0, -1);
}

/** The inner make's argv inside a planned engine command (after the wrapper's marker and FIFO words). */
function innerMakeWords(argv: string[]): string[] {
  const at = argv.indexOf('kbuild-container', argv.indexOf('-c'));
  return argv.slice(at + 4); // after the start marker, the jobserver FIFO and the Makefile to check
}

describe('quick checks (no kernel build): rootful podman unless named', () => {
  const kind: EngineKind = 'podman';
  let version: string;

  beforeAll(async () => {
    const r = await nativeMake(TREE, ['-s', `O=${tmpDir()}`, 'kernelversion']);
    version = r.stdout.trim();
    expect(version).toMatch(/^6\.1\.\d+$/);
  });

  it('command-line variables with spaces, quotes, $ and = reach the inner make exactly as typed', async () => {
    const out = tmpDir();
    const vars = [`KCFLAGS=-O2 -DFOO='a b'`, `EXTRAVERSION=-x 'a  b' "c=d" '$$HOME'`, 'KBC_DOLLAR=$$(not expanded) $(also) a=b=c'];
    // Through the fragment and MAKEFLAGS, as typed on make's command line.
    const dry = await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, 'CONTAINER_DRYRUN=1', `O=${out}`, ...vars, 'kernelversion']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    const inner = innerMakeWords(await shellWords(dry.stdout.trim()));
    expect(inner[0]).toBe('make');
    expect(inner.filter((w) => /^(KCFLAGS|EXTRAVERSION|KBC_DOLLAR)=/.test(w))).toEqual(vars);
    expect(inner.at(-1)).toBe('kernelversion');

    // And for real: the inner make prints EXTRAVERSION exactly as a native make does.
    const extra = vars[1];
    const native = await nativeMake(TREE, ['-s', `O=${out}`, extra, 'kernelversion']);
    const r = await runMake(kind, TREE, ['-s', `CONTAINER=${IMAGE}`, `O=${out}`, extra, 'kernelversion']);
    expect(native.stdout).toBe(`${version}-x a  b c=d $HOME\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(native.stdout);
  });

  it('piped stdin reaches the inner make: yes "" | make ... oldconfig completes, and answers count', async () => {
    const out = tmpDir();
    const configured = note(`podman ${QUICK_CONFIG} (quick checks)`, await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${out}`, QUICK_CONFIG]));
    expect(configured.exitCode, configured.stderr).toBe(0);
    // Forget one answer, so that oldconfig has a question to ask (default: n).
    const config = path.join(out, '.config');
    const unanswered = fs.readFileSync(config, 'utf8').replace(/^# CONFIG_SYSVIPC is not set\n/m, '');
    expect(unanswered).not.toMatch(/CONFIG_SYSVIPC\b/);

    // `yes ""` never ends: make must finish anyway, with every default taken.
    fs.writeFileSync(config, unanswered);
    const yes = spawn('yes', [''], { stdio: ['ignore', 'pipe', 'ignore'] });
    let r: MakeResult;
    try {
      r = note('podman yes "" | oldconfig', await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${out}`, 'oldconfig'], { execa: { stdin: yes.stdout! } }));
    } finally {
      yes.kill();
    }
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^System V IPC \(SYSVIPC\) \[N\/y\/\?\] \(NEW\) $/m);
    // What Kconfig says when its stdin is closed instead of answering.
    expect(r.stderr).not.toMatch(/end of file/);
    expect(fs.readFileSync(config, 'utf8')).toMatch(/^# CONFIG_SYSVIPC is not set$/m);

    // A non-default answer must arrive too.
    fs.writeFileSync(config, unanswered);
    const y = await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${out}`, 'oldconfig'], { input: 'y\n' });
    expect(y.exitCode, y.stderr).toBe(0);
    expect(y.stdout).toMatch(/^System V IPC \(SYSVIPC\) \[N\/y\/\?\] \(NEW\) y$/m);
    expect(fs.readFileSync(config, 'utf8')).toMatch(/^CONFIG_SYSVIPC=y$/m);
  });

  it('stdout and stderr stay separate and byte-exact (same bytes as native make)', async () => {
    // A .config with a bad value: Kconfig warns on stderr, reports on stdout.
    const out = tmpDir();
    const seed = () => {
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out);
      fs.writeFileSync(path.join(out, '.config'), 'CONFIG_PRINTK=maybe\n');
    };
    seed();
    const native = await nativeMake(TREE, [`O=${out}`, 'olddefconfig']);
    seed();
    const r = note('podman olddefconfig (stream check)', await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${out}`, 'olddefconfig']));
    expect(native.exitCode).toBe(0);
    expect(native.stderr).toMatch(/warning: symbol value 'maybe' invalid for PRINTK/);
    expect(native.stdout).toMatch(/configuration written to \.config/);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(native.stdout);
    expect(stderrOf(r)).toBe(`${BANNER(kind)}\n${native.stderr}`);
    expect(r.stdout).not.toMatch(/warning/);
  });

  it('-C DIR from another directory, with O= relative to DIR, resolves like make', async () => {
    // Deeper than the tree, so that resolving O= against it would land elsewhere.
    const elsewhere = path.join(tmpDir(), 'a', 'b', 'c', 'd', 'e');
    fs.mkdirSync(elsewhere, { recursive: true });
    const out = path.join(tmpDir(), 'out');
    const rel = path.relative(TREE, out);
    const wrong = path.resolve(elsewhere, rel);
    expect(wrong).not.toBe(out);
    const args = ['-C', TREE, `O=${rel}`, 'outputmakefile', 'kernelversion'];
    const listing = () => fs.readdirSync(out).sort();

    const native = await nativeMake(elsewhere, args);
    expect(native.exitCode, native.stderr).toBe(0);
    const nativeFiles = listing();
    const nativeMakefile = fs.readFileSync(path.join(out, 'Makefile'), 'utf8');
    fs.rmSync(out, { recursive: true });

    const r = await runMake(kind, elsewhere, [`CONTAINER=${IMAGE}`, ...args]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(native.stdout);
    expect(r.stdout).toContain(`make: Entering directory '${TREE}'`);
    expect(listing()).toEqual(nativeFiles);
    expect(fs.readFileSync(path.join(out, 'Makefile'), 'utf8')).toBe(nativeMakefile);
    expect(fs.existsSync(wrong)).toBe(false);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('O= naming an existing file: one clear error line, non-zero, nothing run', async () => {
    const engines = recordingEngines();
    const file = path.join(tmpDir(), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const r = await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${file}`, 'kernelversion'], {
      env: { PATH: `${engines.bin}:${runnerBinDir()}:${process.env.PATH}` },
    });
    expect(r.exitCode).not.toBe(0);
    expect(runnerLines(kind, r)).toEqual([`kbuild-container: ${file}: exists and is not a directory (O= and INSTALL_*PATH must name directories)`]);
    expect(r.stdout).toBe('');
    expect(engines.calls()).toEqual([]);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it.each([
    ['CONTAINER_RUNTIME=docker, no docker on PATH', true, /^kbuild-container: docker is not installed \(not found on PATH\)/],
    ['no CONTAINER_RUNTIME, neither podman nor docker on PATH', false, /^kbuild-container: no container engine found: install podman or docker/],
  ])('engine not installed (%s): one line, non-zero', async (_name, withRuntime, message) => {
    const args = [`CONTAINER=${IMAGE}`, `O=${tmpDir()}`, 'kernelversion'];
    const r = await runMake('docker', TREE, args, { runtime: withRuntime, env: { PATH: pathWithoutEngines() } });
    expect(r.exitCode).not.toBe(0);
    const lines = runnerLines('docker', r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it.each(ENGINE_KINDS)('%s: image not found: one line naming the image and how to build or pull it, non-zero', async (k) => {
    const r = await runMake(k, TREE, ['CONTAINER=no-such-image', `O=${tmpDir(k)}`, 'kernelversion']);
    expect(r.exitCode).not.toBe(0);
    const lines = runnerLines(k, r, 'no-such-image');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kbuild-container: image 'no-such-image' not found/);
    expect(lines[0]).toContain(`${runtimeOf(k)} build -t no-such-image`);
    expect(lines[0]).toContain(`${runtimeOf(k)} pull no-such-image`);
  });

  it.each(['x; rm -rf ~', 'x$(touch pwned)', 'Korg-gcc'])('invalid image reference CONTAINER=%s: one line, non-zero, nothing run', async (image) => {
    const engines = recordingEngines();
    const home = tmpDir();
    fs.writeFileSync(path.join(home, 'canary'), 'alive');
    const r = await runMake(kind, home, ['-C', TREE, `CONTAINER=${image}`, `O=${tmpDir()}`, 'kernelversion'], {
      env: { HOME: home, PATH: `${engines.bin}:${runnerBinDir()}:${process.env.PATH}` },
    });
    expect(r.exitCode).not.toBe(0);
    const lines = runnerLines(kind, r);
    expect(lines).toEqual([`kbuild-container: CONTAINER='${image}' is not a valid image reference (expected e.g. korg-gcc or registry.example/korg/gcc:14)`]);
    expect(engines.calls()).toEqual([]);
    expect(fs.readdirSync(home).sort()).toEqual(['canary']);
  });

  it('docker daemon unreachable (DOCKER_HOST=unix:///nonexistent.sock): one line, non-zero', async () => {
    const r = await runMake('docker', TREE, [`CONTAINER=${IMAGE}`, `O=${tmpDir()}`, 'kernelversion'], { env: { DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(r.exitCode).not.toBe(0);
    const lines = runnerLines('docker', r);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kbuild-container: the Docker daemon is not reachable/);
  });

  it('CONTAINER_DRYRUN=1 prints a command that, pasted into sh, runs the build', async () => {
    // A fresh O= that does not exist yet, as a user would type it.
    const out = path.join(tmpDir(), 'build', 'x86');
    const dry = await runMake(kind, TREE, ['-s', `CONTAINER=${IMAGE}`, 'CONTAINER_DRYRUN=1', `O=${out}`, 'kernelversion']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(stderrOf(dry)).toBe('');
    const command = dry.stdout.trim();
    expect(command.startsWith(`${execaWhich(runtimeOf(kind))} run `)).toBe(true);

    const pasted = await execa('sh', ['-c', command], { cwd: os.tmpdir(), reject: false, stdin: 'ignore', stripFinalNewline: false });
    expect(pasted.exitCode, String(pasted.stderr)).toBe(0);
    expect(String(pasted.stdout)).toBe(`${version}\n`);
  });

  it('-s silences the "  PODMAN  korg-gcc:12" line (and only adds it without -s)', async () => {
    const out = tmpDir();
    const native = await nativeMake(TREE, ['-s', `O=${out}`, 'kernelversion']);
    const silent = await runMake(kind, TREE, ['-s', `CONTAINER=${IMAGE}`, `O=${out}`, 'kernelversion']);
    const loud = await runMake(kind, TREE, [`CONTAINER=${IMAGE}`, `O=${out}`, 'kernelversion']);
    expect(silent.exitCode, silent.stderr).toBe(0);
    expect(silent.stdout).toBe(native.stdout);
    expect(stderrOf(silent)).toBe(native.stderr);
    expect(native.stderr).toBe('');
    expect(loud.exitCode, loud.stderr).toBe(0);
    expect(stderrOf(loud)).toBe(`${BANNER(kind)}\n`);
  });

  it.each(ENGINE_KINDS)('%s: the inner make runs under an init (PID 1 is not make or sh)', async (k) => {
    const out = tmpDir(k);
    const planArgv = asUser(k, [
      path.join(runnerBinDir(), 'kbuild-container'),
      'plan',
      `CONTAINER=${IMAGE}`,
      `CONTAINER_RUNTIME=${runtimeOf(k)}`,
      `O=${out}`,
      'kernelversion',
    ]);
    const plan = await execa(planArgv[0], planArgv.slice(1), { cwd: TREE, reject: false, env: { PATH: `${runnerBinDir()}:${process.env.PATH}` } });
    expect(plan.exitCode, String(plan.stderr)).toBe(0);
    const argv = await shellWords(String(plan.stdout).trim());
    expect(argv.slice(0, argv.indexOf(IMAGE))).toContain('--init');

    // For real: the inner make expands $(shell ...) inside the container.
    const r = await runMake(k, TREE, ['-s', `CONTAINER=${IMAGE}`, `O=${out}`, 'EXTRAVERSION=-$(shell cat /proc/1/comm)', 'kernelversion']);
    expect(r.exitCode, r.stderr).toBe(0);
    const comm = r.stdout.trim().replace(`${version}-`, '');
    expect(comm, r.stdout + r.stderr).not.toMatch(/^(make|sh|dash|bash)$/);
    expect(comm).toMatch(/init|catatonit|tini/);
    figures.push(`${k}: PID 1 in the container is '${comm}'`);
  });
});
