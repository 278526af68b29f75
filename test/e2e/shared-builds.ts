// Kernel builds that more than one e2e file asserts on, each built once per
// `vitest run`: the first file that asks builds it (tinyconfig, or allnoconfig
// with a KCONFIG_ALLCONFIG fragment; optional .config edits and olddefconfig, `make -j2 GOAL`, through the runner and
// the real engine, its compile jobs sampled on the host), and records every
// step's result; later files get the same O= dir and the same results. One
// tinyconfig bzImage takes about 100 s of both cores here: core, matrix and
// jobserver used to build the same linux 6.1 × korg-gcc:12 one up to three times.
//
// The O= dir is shared: a test that changes it works on sharedCopy().
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { expect, inject } from 'vitest';
import {
  REPO,
  QUICK_CONFIG,
  ROOTLESS_USER,
  asUser,
  compilersIn,
  kernelTree,
  removeScratch,
  runMake,
  sampleProcesses,
  scratchDir,
  startMake,
  userIds,
  type EngineKind,
  type MakeResult,
} from './support.js';

/** One kernel × toolchain × engine configuration: what it is built from, nothing about who asks. */
export interface BuildSpec {
  kernel: string;
  image: string;
  engine: EngineKind;
  /** Command-line variables of every make of the build (LLVM=1, ARCH=..., CROSS_COMPILE=...). */
  vars?: string[];
  /**
   * A KCONFIG_ALLCONFIG fragment: configure with `allnoconfig` and it instead
   * of `tinyconfig` (boot/x86_64.config: the minimal configuration boot.test.ts
   * boots, so matrix.test.ts's cell and the boot share one build).
   */
  allconfig?: string;
  /** QUICK_CONFIG instead of tinyconfig (no fragment): for a build of one directory, whose configuration only has to compile. */
  quickConfig?: boolean;
  /** scripts/config arguments applied to the configuration (then `make olddefconfig`), e.g. ['-e', 'MODULES']. */
  configEdits?: string[];
  /** The goal built with -j2 after configuring (a boot image, or a directory such as init/). */
  goal: string;
}

export interface SharedBuild {
  spec: BuildSpec;
  /** The O= dir, owned by the engine kind's user. */
  out: string;
  /** `make tinyconfig`, `make allnoconfig`, or `make KCONFIG_ALLCONFIG=... allnoconfig`. */
  configure: MakeResult;
  olddefconfig?: MakeResult;
  build: MakeResult;
  /** Compile jobs (cc1 on a source file) at work in O= at once, sampled every ~100 ms during the build. */
  compilerSamples: number[];
  /** The test file that built it. */
  builtBy: string;
}

/** A stand-in for a step that never ran because an earlier one failed: every check of it fails with this text. */
function notRun(why: string): MakeResult {
  return { stdout: '', stderr: `not run: ${why}`, exitCode: -1, ms: 0 };
}

function keyOf(spec: BuildSpec): string {
  const extra = [...(spec.vars ?? []), '|', ...(spec.configEdits ?? []), '|', spec.allconfig ?? '', ...(spec.quickConfig ? ['|quick'] : [])];
  const hash = crypto.createHash('sha1').update(JSON.stringify(extra)).digest('hex').slice(0, 10);
  // No ':' (an image tag's) in a path: it cannot be mounted into a container; no '/' (a directory goal's) either.
  return `linux-${spec.kernel}_${spec.image.replaceAll(':', '-')}_${spec.engine}_${spec.goal.replaceAll('/', '')}_${hash}`;
}

async function build(spec: BuildSpec, out: string): Promise<Omit<SharedBuild, 'spec' | 'out' | 'builtBy'>> {
  const tree = kernelTree(spec.kernel);
  const args = (more: string[]) => [`CONTAINER=${spec.image}`, `O=${out}`, ...(spec.vars ?? []), ...more];
  const configGoal = spec.allconfig ? [`KCONFIG_ALLCONFIG=${spec.allconfig}`, 'allnoconfig'] : [spec.quickConfig ? QUICK_CONFIG : 'tinyconfig'];
  const configure = await runMake(spec.engine, tree, args(configGoal));
  if (configure.exitCode !== 0) return { configure, build: notRun('configuring failed'), compilerSamples: [] };
  let olddefconfig: MakeResult | undefined;
  if (spec.configEdits) {
    // scripts/config only edits text (as the O= dir's owner); olddefconfig, in the container, settles the dependencies.
    const edit = asUser(spec.engine, ['bash', path.join(tree, 'scripts/config'), '--file', path.join(out, '.config'), ...spec.configEdits]);
    await execa(edit[0], edit.slice(1));
    olddefconfig = await runMake(spec.engine, tree, args(['olddefconfig']));
    if (olddefconfig.exitCode !== 0) return { configure, olddefconfig, build: notRun('olddefconfig failed'), compilerSamples: [] };
  }
  const sampling = sampleProcesses(compilersIn([out]));
  const result = await startMake(spec.engine, tree, args(['-j2', spec.goal])).result;
  return { configure, olddefconfig, build: result, compilerSamples: await sampling.stop() };
}

function sharedRoot(): string {
  const dir = inject('sharedBuildsDir');
  if (!dir) throw new Error('no sharedBuildsDir: run the e2e project through vitest.config.ts (its globalSetup)');
  return dir;
}

/**
 * The build of `spec`, made now if no file made it before in this run.
 * Never throws for a failed make: its results say what failed, for the
 * caller's assertions.
 */
export async function sharedBuild(spec: BuildSpec): Promise<SharedBuild> {
  const dir = path.join(sharedRoot(), keyOf(spec));
  const record = path.join(dir, 'build.json');
  try {
    fs.mkdirSync(dir, { mode: 0o755 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another file builds it (or built it): wait for its record.
    while (!fs.existsSync(record)) await new Promise((r) => setTimeout(r, 1000));
    return JSON.parse(fs.readFileSync(record, 'utf8')) as SharedBuild;
  }
  fs.chmodSync(dir, 0o755);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out, { mode: 0o755 });
  fs.chmodSync(out, 0o755);
  if (spec.engine === 'rootless') {
    const { uid, gid } = userIds(ROOTLESS_USER);
    fs.chownSync(out, uid, gid);
  }
  const builtBy = path.basename(expect.getState().testPath ?? 'unknown file');
  let done: SharedBuild;
  try {
    done = { spec, out, builtBy, ...(await build(spec, out)) };
  } catch (e) {
    done = { spec, out, builtBy, configure: notRun(String(e)), build: notRun(String(e)), compilerSamples: [] };
  }
  fs.writeFileSync(record, JSON.stringify(done));
  return done;
}

/**
 * A private copy of a shared build's O= dir (owners and times kept), for a
 * test that changes it; `cp -a --reflink=auto` shares the blocks where the
 * file system can. Remove it with removeScratch.
 */
export async function sharedCopy(shared: SharedBuild, prefix: string): Promise<string> {
  const dir = scratchDir(shared.spec.engine, prefix);
  removeScratch(dir);
  await execa('cp', ['-a', '--reflink=auto', shared.out, dir]);
  return dir;
}

/**
 * linux 6.1 tinyconfig + MODULES (IKCONFIG=m) bzImage with korg-gcc:
 * core.test.ts checks it on rootful Podman (rootless: ROOTLESS_BUILD; Docker:
 * BOOT_BUILDS.x86_64_72), jobserver.test.ts samples it,
 * matrix.test.ts's 6.1 × gcc cell is it (and then builds `modules` in it:
 * one build where there were two).
 */
export function tinyBzImage61(engine: EngineKind): BuildSpec {
  return { kernel: '6.1', image: 'korg-gcc:12', engine, vars: [], configEdits: ['-e', 'MODULES', '-m', 'IKCONFIG'], goal: 'bzImage' };
}

/**
 * linux 6.12 tinyconfig bzImage with korg-gcc:12 as the rootless user:
 * matrix.test.ts's 6.12 × gcc cell (it checks) and core.test.ts's rootless
 * build, so rootless Podman builds one kernel of the matrix, not one more.
 */
export const ROOTLESS_BUILD: BuildSpec = { kernel: '6.12', image: 'korg-gcc:12', engine: 'rootless', vars: [], goal: 'bzImage' };

/** "  (built by FILE)" when another file made the build: figures say whose time they show. */
export function builtElsewhere(shared: SharedBuild): string {
  const here = path.basename(expect.getState().testPath ?? '');
  return shared.builtBy === here ? '' : ` (built by ${shared.builtBy})`;
}

/**
 * The kernels boot.test.ts boots, in the minimal bootable configuration
 * (allnoconfig + boot/ARCH.config): matrix.test.ts's cells of the same kernel,
 * image, variables and engine are these very builds (it checks), so each is
 * built once per run (a 64-bit bootable kernel costs about twice an i386
 * tinyconfig here: only these cells pay it). The 7.2 one is also Docker's
 * korg-gcc:12 build for core.test.ts and jobserver.test.ts.
 */
export const BOOT_BUILDS = {
  // The kernel.org source's compilers (scripts/build-images.sh's kernelorg-
  // images, from its stand-in mirror) build two of them: kernels that boot.
  x86_64: bootable('6.1', 'docker', 'kernelorg-clang:18', ['LLVM=1'], 'x86_64'),
  x86_64_72: bootable('7.2', 'docker', 'korg-gcc:12', [], 'x86_64', true),
  // kernel.org's crosstool GCC calls itself aarch64-linux-gcc.
  arm64: bootable('6.1', 'podman', 'kernelorg-gcc:12-arm64', ['ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-'], 'arm64'),
} as const;

function bootable(kernel: string, engine: EngineKind, image: string, vars: string[], arch: 'x86_64' | 'arm64', modules = false): BuildSpec {
  return {
    kernel,
    image,
    engine,
    vars,
    allconfig: bootFragment(arch),
    configEdits: modules ? ['-e', 'MODULES', '-m', 'IKCONFIG'] : undefined,
    goal: arch === 'arm64' ? 'Image' : 'bzImage',
  };
}

/** boot/ARCH.config, the fragment `kbuild-container boot-config ARCH` names. */
// A function declaration, not a const: BOOT_BUILDS above calls it while the module loads.
export function bootFragment(arch: 'x86_64' | 'arm64'): string {
  return path.join(REPO, 'boot', `${arch}.config`);
}
