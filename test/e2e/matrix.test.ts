// Issue 5, the kernel and toolchain matrix: small kernels built through
// `make CONTAINER=img` with O= outside the tree (tinyconfig, or the minimal
// bootable configuration for the three cells boot.test.ts boots; init/ only,
// from allnoconfig, for four, see CELLS), for linux 6.1, 6.12 and 7.2
// (6.13+ writes absolute paths into O=/Makefile: fine when the tree keeps its
// path inside), with GCC, Clang (LLVM=1) and the arm64 cross GCC; then
// `modules` and an out-of-tree module (`make -C KERNEL_O M=DIR`) on 6.1 and 7.2.
// One `it` per cell, so a failure names kernel × toolchain × engine. Each cell
// runs on one engine, spread so that every kernel and every toolchain meets
// rootful Podman and Docker; one whole cell (6.12 × gcc) runs as the rootless
// Podman user.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENGINE_KINDS,
  banner,
  callerIds,
  containersMounting,
  filesNotOwnedBy,
  kernelTree,
  processesMentioning,
  removeScratch,
  runMake,
  runtimeOf,
  scratchDir,
  treeSnapshot,
  waitFor,
  type EngineKind,
  type MakeResult,
  QUICK_CONFIG,
} from './support.js';
import { BOOT_BUILDS, ROOTLESS_BUILD, bootFragment, builtElsewhere, sharedBuild, tinyBzImage61, type BuildSpec } from './shared-builds.js';

type Kernel = '6.1' | '6.12' | '7.2';
type ToolchainName = 'gcc' | 'clang' | 'arm64';
type BootImage = 'x86 bzImage' | 'arm64 Image';

interface Toolchain {
  image: string;
  /** Command-line variables every make of this toolchain gets. */
  vars: string[];
  goal: string;
  /** The boot image the goal leaves under O=. */
  artefact: string;
  bootImage: BootImage;
  /** .config lines that prove the toolchain asked for is the one Kconfig found. */
  config: RegExp[];
  /** The ELF machine of a tinyconfig's objects (elfMachine): i386 for x86 tinyconfig, aarch64. */
  machine: number;
}

const TOOLCHAINS: Record<ToolchainName, Toolchain> = {
  gcc: {
    image: 'korg-gcc:12',
    vars: [],
    goal: 'bzImage',
    artefact: 'arch/x86/boot/bzImage',
    bootImage: 'x86 bzImage',
    config: [/^CONFIG_CC_IS_GCC=y$/m, /^CONFIG_X86=y$/m],
    machine: 3,
  },
  clang: {
    image: 'korg-clang:18',
    vars: ['LLVM=1'],
    goal: 'bzImage',
    artefact: 'arch/x86/boot/bzImage',
    bootImage: 'x86 bzImage',
    config: [/^CONFIG_CC_IS_CLANG=y$/m, /^CONFIG_LD_IS_LLD=y$/m],
    machine: 3,
  },
  arm64: {
    image: 'korg-gcc:12-arm64',
    vars: ['ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-'],
    goal: 'Image',
    artefact: 'arch/arm64/boot/Image',
    bootImage: 'arm64 Image',
    config: [/^CONFIG_ARM64=y$/m, /^CONFIG_CC_IS_GCC=y$/m],
    machine: 183,
  },
};

interface Cell {
  kernel: Kernel;
  toolchain: ToolchainName;
  engine: EngineKind;
  /** When the toolchain's usual image cannot build this kernel. */
  image?: string;
  /** Variables on top of the toolchain's (one of the same name replaces it), and the .config line they must give. */
  vars?: string[];
  /**
   * The image's toolchain source when it is not Debian: kernel.org's
   * tarballs, from the set-up's stand-in mirror (scripts/build-images.sh,
   * prefix kernelorg-); its label must say so. images.test.ts builds the same
   * images from the same mirror and checks the family's side of them.
   */
  source?: 'kernel.org';
  config?: RegExp;
  /** Configure tinyconfig + MODULES (IKCONFIG=m as one in-tree module) and test `modules` and M= after the image. */
  modules?: boolean;
  /**
   * One directory of the kernel instead of its boot image (`make -j2 init/`:
   * Kbuild's prepare steps, its host tools and init/*.o): the toolchain
   * compiles this kernel, for an eighth of a whole image's time. Configured
   * with allnoconfig (i386 on x86 too), not tinyconfig (shared-builds.ts).
   */
  part?: 'init/';
  /** The minimal bootable configuration instead of tinyconfig: boot.test.ts boots this very build. */
  boot?: boolean;
}

// Rootful Podman 4 cells, rootless Podman 1, Docker 4: each kernel and each
// toolchain on Podman and on Docker, and one whole cell as the rootless user
// (shared-builds.ts's ROOTLESS_BUILD, which core.test.ts checks too). Whole
// boot images: every toolchain's for linux 6.1 (Clang and arm64 GCC through
// the kernel.org source's images: boot.test.ts boots both), GCC's for 6.12
// and 7.2 (kernel.org's x86_64 GCC builds its kernel in images.test.ts's
// on-demand test). Clang and arm64 GCC compile 6.12 and 7.2 in part (init/),
// with Debian's compilers: whole images there cost 200-330 s each, and CI has
// an hour.
const CELLS: Cell[] = [
  { kernel: '6.1', toolchain: 'gcc', engine: 'podman', modules: true },
  // x86_64 (boot/x86_64.config sets 64BIT): boot.test.ts boots it.
  {
    kernel: '6.1',
    toolchain: 'clang',
    engine: 'docker',
    image: 'kernelorg-clang:18',
    source: 'kernel.org',
    config: /^CONFIG_X86_64=y$/m,
    boot: true,
  },
  // kernel.org's crosstool GCC calls itself aarch64-linux-gcc.
  {
    kernel: '6.1',
    toolchain: 'arm64',
    engine: 'podman',
    image: 'kernelorg-gcc:12-arm64',
    source: 'kernel.org',
    vars: ['CROSS_COMPILE=aarch64-linux-'],
    config: /^CONFIG_CC_VERSION_TEXT="aarch64-linux-gcc .*12\.2\.0"$/m,
    boot: true,
  },
  { kernel: '6.12', toolchain: 'gcc', engine: 'rootless' },
  // allnoconfig is i386, and 6.12's i386 mm/maccess.c fails with Clang 14
  // ("invalid output size for constraint '=a'"), not with 18: trixie's Clang 18.
  { kernel: '6.12', toolchain: 'clang', engine: 'podman', config: /^CONFIG_CLANG_VERSION=180108$/m, part: 'init/' },
  { kernel: '6.12', toolchain: 'arm64', engine: 'docker', part: 'init/' },
  { kernel: '7.2', toolchain: 'gcc', engine: 'docker', modules: true, boot: true },
  // 7.2 wants LLVM >= 17.0.1 (scripts/min-tool-version.sh): Kconfig checks it when configuring.
  { kernel: '7.2', toolchain: 'clang', engine: 'podman', config: /^CONFIG_CLANG_VERSION=180108$/m, part: 'init/' },
  { kernel: '7.2', toolchain: 'arm64', engine: 'docker', part: 'init/' },
];
const KERNELS: Kernel[] = ['6.1', '6.12', '7.2'];
const imageOf = (cell: Cell) => cell.image ?? TOOLCHAINS[cell.toolchain].image;
const cellName = (cell: Cell) =>
  `linux ${cell.kernel} × ${cell.toolchain}${cell.vars ? ` ${cell.vars.join(' ')}` : ''} on ${cell.engine} (${imageOf(cell)})${cell.part ? `, ${cell.part} only` : ''}`;

/** Figures for the report, printed once at the end. */
const figures: string[] = [];
const scratch: string[] = [];
/** The shared builds' O= dirs this file used (removed at the end of the run, not here). */
const sharedOuts: string[] = [];
const pristine = new Map<Kernel, string>();
/** O= of each cell that built, for the module tests that follow it. */
const built = new Map<Cell, string>();

function tmpDir(kind: EngineKind, prefix: string): string {
  const dir = scratchDir(kind, prefix);
  scratch.push(dir);
  return dir;
}

function tail(r: MakeResult, chars = 3000): string {
  return `exit ${r.exitCode}\n--- stderr (end) ---\n${r.stderr.slice(-chars)}\n--- stdout (end) ---\n${r.stdout.slice(-chars)}`;
}

/** A make that must succeed in one container of the expected engine, with LF-only output. */
function expectGoodRun(r: MakeResult, kind: EngineKind, image: string): void {
  expect(r.exitCode, tail(r)).toBe(0);
  expect(
    r.stderr.split('\n').filter((l) => l === banner(kind, image)),
    'one banner naming engine and image',
  ).toHaveLength(1);
  expect(r.stdout.includes('\r') || r.stderr.includes('\r'), 'a \\r in the captured output').toBe(false);
}

/** The first `bytes` bytes of a file. */
function headOf(file: string, bytes: number): Buffer {
  const head = Buffer.alloc(bytes);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  return head;
}

/** What the first bytes of a boot image say it is: x86 boot protocol "HdrS" at 0x202, arm64 "ARM\x64" at 0x38. */
function bootImageKind(file: string): BootImage | undefined {
  const head = headOf(file, 0x210);
  if (head.toString('latin1', 0x202, 0x206) === 'HdrS') return 'x86 bzImage';
  if (head.toString('latin1', 0x38, 0x3c) === 'ARM\x64') return 'arm64 Image';
  return undefined;
}

/** An ELF file's machine (e_machine): 3 i386, 62 x86_64, 183 aarch64. */
function elfMachine(file: string): number | undefined {
  const head = headOf(file, 20);
  return head.toString('latin1', 0, 4) === '\x7fELF' ? head.readUInt16LE(18) : undefined;
}

/** The vermagic string in a .ko's .modinfo: it starts with the release the module was built for. */
function vermagic(ko: string): string | undefined {
  const text = fs.readFileSync(ko).toString('latin1');
  return /vermagic=([^\0]*)\0/.exec(text)?.[1];
}

function kernelRelease(out: string): string {
  return fs.readFileSync(path.join(out, 'include/config/kernel.release'), 'utf8').trim();
}

/** After make returns, nothing of the build may still run on the host. */
async function expectNothingRunning(dir: string): Promise<void> {
  const quiet = await waitFor(async () => processesMentioning(dir).length === 0, 10_000, 200);
  expect(quiet, `processes still mention ${dir}: ${JSON.stringify(processesMentioning(dir))}`).toBeDefined();
}

/** NAME=VALUE words: `base`, each replaced by the word of `more` with its NAME, then the rest of `more`. */
function withVars(base: string[], more: string[]): string[] {
  const name = (w: string) => w.slice(0, w.indexOf('='));
  const replaced = base.map((w) => more.find((m) => name(m) === name(w)) ?? w);
  return [...replaced, ...more.filter((m) => !replaced.includes(m))];
}

/** What a cell builds: the same spec as another file's build of the same configuration shares it (shared-builds.ts). */
function specOf(cell: Cell): BuildSpec {
  const tc = TOOLCHAINS[cell.toolchain];
  const spec: BuildSpec = {
    kernel: cell.kernel,
    image: imageOf(cell),
    engine: cell.engine,
    vars: withVars(tc.vars, cell.vars ?? []),
    // tinyconfig + MODULES, with IKCONFIG as one in-tree module.
    configEdits: cell.modules ? ['-e', 'MODULES', '-m', 'IKCONFIG'] : undefined,
    goal: cell.part ?? tc.goal,
  };
  if (cell.part) spec.quickConfig = true;
  if (cell.kernel === '6.1' && cell.toolchain === 'gcc') expect(spec).toEqual(tinyBzImage61(cell.engine));
  if (cell.engine === 'rootless') expect(spec).toEqual(ROOTLESS_BUILD);
  if (!cell.boot) return spec;
  // The same build as boot.test.ts's, or each file would build its own.
  const booted = { ...spec, allconfig: bootFragment(cell.toolchain === 'arm64' ? 'arm64' : 'x86_64') };
  expect(Object.values(BOOT_BUILDS)).toContainEqual(booted);
  return booted;
}

/** tinyconfig (+ the options the cell needs) and the toolchain's boot image, or allnoconfig and one directory, in a fresh O= outside the tree. */
async function buildCell(cell: Cell): Promise<string> {
  const kind = cell.engine;
  const tc = TOOLCHAINS[cell.toolchain];
  const image = imageOf(cell);
  const tree = kernelTree(cell.kernel);
  const shared = await sharedBuild(specOf(cell));
  const out = shared.out;
  sharedOuts.push(out);
  const times: string[] = [];

  const config = shared.configure;
  expectGoodRun(config, kind, image);
  times.push(`${cell.boot ? 'allnoconfig+boot fragment' : cell.part ? QUICK_CONFIG : 'tinyconfig'} ${(config.ms / 1000).toFixed(1)} s`);

  if (cell.modules) {
    const old = shared.olddefconfig;
    expect(old, '+MODULES olddefconfig ran').toBeDefined();
    expectGoodRun(old!, kind, image);
    times.push(`+MODULES olddefconfig ${(old!.ms / 1000).toFixed(1)} s`);
  }

  const build = shared.build;
  expectGoodRun(build, kind, image);
  times.push(`-j2 ${cell.part ?? tc.goal} ${(build.ms / 1000).toFixed(1)} s`);
  figures.push(`${cellName(cell)}: ${times.join(', ')}${builtElsewhere(shared)}`);

  if (cell.source) {
    const label = await execa(runtimeOf(kind), ['image', 'inspect', '--format', '{{index .Config.Labels "org.kernel.toolchain.source"}}', image]);
    expect(String(label.stdout).trim(), `${image}'s org.kernel.toolchain.source label`).toBe(cell.source);
  }
  const dotConfig = fs.readFileSync(path.join(out, '.config'), 'utf8');
  for (const line of [...tc.config, ...(cell.config ? [cell.config] : [])]) expect(dotConfig).toMatch(line);
  if (cell.modules) expect(dotConfig).toMatch(/^CONFIG_MODULES=y$/m);
  if (cell.part) {
    // Every object of the directory, each an ELF for the toolchain's machine (i386 tinyconfig, arm64).
    const objects = fs.readdirSync(path.join(out, cell.part)).filter((f) => f.endsWith('.o'));
    expect(objects).toEqual(expect.arrayContaining(['main.o', 'version.o']));
    for (const o of objects) expect(elfMachine(path.join(out, cell.part, o)), `${cell.part}${o}`).toBe(tc.machine);
    expect(fs.existsSync(path.join(out, tc.artefact)), `no ${tc.artefact}: only ${cell.part} was asked for`).toBe(false);
  } else {
    expect(bootImageKind(path.join(out, tc.artefact)), `${tc.artefact} under ${out}`).toBe(tc.bootImage);
  }
  expect(fs.readFileSync(path.join(out, 'Makefile'), 'utf8'), 'O=/Makefile includes the tree at its host path').toContain(tree);

  const { uid, gid } = callerIds(kind);
  expect(await filesNotOwnedBy(out, uid, gid)).toEqual([]);
  await expectNothingRunning(out);
  expect(await containersMounting(kind, [out])).toEqual([]);
  return out;
}

beforeAll(async () => {
  for (const kernel of KERNELS) pristine.set(kernel, await treeSnapshot(kernelTree(kernel)));
});

afterAll(async () => {
  const left = (await Promise.all(ENGINE_KINDS.map((kind) => containersMounting(kind, [...scratch, ...sharedOuts])))).flat();
  for (const dir of scratch) removeScratch(dir);
  if (figures.length > 0) console.log(['matrix.test.ts figures (2 cores, shared with other builds):', ...figures].join('\n  '));
  expect(left, 'containers left behind').toEqual([]);
});

describe('a boot image per cell (tinyconfig, or the bootable minimum boot.test.ts boots), O= outside the tree', () => {
  for (const cell of CELLS) {
    it(cellName(cell), async () => {
      built.set(cell, await buildCell(cell));
    });
  }
});

// It uses system_state, exported by vmlinux on every kernel (tinyconfig has no
// printk): modpost must find it in KERNEL_O/Module.symvers.
const EXTMOD_SOURCE = `// SPDX-License-Identifier: GPL-2.0
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

static int __init kbc_hello_init(void)
{
	return system_state == SYSTEM_RUNNING ? 0 : -EBUSY;
}

static void __exit kbc_hello_exit(void)
{
}

module_init(kbc_hello_init);
module_exit(kbc_hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kbuild-container end-to-end test module");
`;

describe.each(CELLS.filter((c) => c.modules))('modules, linux $kernel × $toolchain on $engine', (cell) => {
  const kind = cell.engine;
  const image = imageOf(cell);
  const out = () => {
    const dir = built.get(cell);
    if (!dir) throw new Error(`${cellName(cell)} did not build: nothing to build modules against`);
    return dir;
  };

  it('make modules builds the in-tree module and Module.symvers', async () => {
    const r = await runMake(kind, kernelTree(cell.kernel), [`CONTAINER=${image}`, `O=${out()}`, '-j2', 'modules']);
    figures.push(`${cellName(cell)}: -j2 modules (IKCONFIG=m) ${(r.ms / 1000).toFixed(1)} s`);
    expectGoodRun(r, kind, image);
    const ko = path.join(out(), 'kernel/configs.ko');
    expect(fs.existsSync(ko), ko).toBe(true);
    expect(vermagic(ko)).toMatch(new RegExp(`^${kernelRelease(out()).replaceAll('.', '\\.')} `));
    expect(fs.readFileSync(path.join(out(), 'modules.order'), 'utf8')).toMatch(/^kernel\/configs\.(ko|o)$/m);
    // modpost saw vmlinux: the symbols an external module links against are listed.
    expect(fs.readFileSync(path.join(out(), 'Module.symvers'), 'utf8')).toMatch(/\tsystem_state\tvmlinux\t/);
    const { uid, gid } = callerIds(kind);
    expect(await filesNotOwnedBy(out(), uid, gid)).toEqual([]);
  });

  // Through -f Makefile.container: KERNEL_O/Makefile includes the tree's Makefile
  // by path, so an enabled tree's GNUmakefile is not read under -C KERNEL_O.
  it('make -f Makefile.container -C KERNEL_O M=DIR builds an out-of-tree module, from the module directory', async () => {
    const mod = tmpDir(kind, `kbc-matrix-extmod-${cell.kernel}-`);
    fs.writeFileSync(path.join(mod, 'kbc_hello.c'), EXTMOD_SOURCE);
    fs.writeFileSync(path.join(mod, 'Kbuild'), 'obj-m := kbc_hello.o\n');
    const r = await runMake(kind, mod, ['-C', out(), `M=${mod}`, `CONTAINER=${image}`]);
    figures.push(`${cellName(cell)}: external module (make -C O M=DIR) ${(r.ms / 1000).toFixed(1)} s`);
    expectGoodRun(r, kind, image);
    const ko = path.join(mod, 'kbc_hello.ko');
    expect(fs.existsSync(ko), `${ko}\n${r.stdout}`).toBe(true);
    expect(vermagic(ko)).toMatch(new RegExp(`^${kernelRelease(out()).replaceAll('.', '\\.')} `));
    // system_state undefined would mean modpost did not read the kernel's Module.symvers.
    expect(r.stderr).not.toMatch(/modpost: .*undefined|Module\.symvers is missing/);
    const { uid, gid } = callerIds(kind);
    expect(await filesNotOwnedBy(mod, uid, gid)).toEqual([]);
    await expectNothingRunning(mod);
  });
});

// The everyday targets after a build, in a copy of the 6.1 podman cell's O=
// (the copy's own parent, where bindeb-pkg puts its packages).
describe('installing and packaging, linux 6.1 × gcc on podman (korg-gcc:12)', () => {
  const cell = CELLS[0]!;
  const kind = cell.engine;
  let parent: string;
  let out: string;
  const make = (args: string[]) => runMake(kind, kernelTree(cell.kernel), [`CONTAINER=${imageOf(cell)}`, `O=${out}`, ...args]);
  const timed = (what: string, r: MakeResult) => {
    figures.push(`${cellName(cell)}: ${what} ${(r.ms / 1000).toFixed(1)} s`);
    expectGoodRun(r, kind, imageOf(cell));
    return r;
  };

  beforeAll(async () => {
    const cellOut = built.get(cell);
    if (!cellOut) throw new Error(`${cellName(cell)} did not build: nothing to install or package`);
    parent = tmpDir(kind, 'kbc-matrix-pkg-');
    out = path.join(parent, 'out');
    await execa('cp', ['-a', '--reflink=auto', cellOut, out]);
  });

  // headers_install is in bindeb-pkg below (its linux-libc-dev package).
  it('modules_install into INSTALL_MOD_PATH outside the tree and O=', async () => {
    const mods = tmpDir(kind, 'kbc-matrix-mods-');
    // `modules` first (its own make: Kbuild does not order it before modules_install under -j):
    // up to date after the modules tests above, built when this runs alone.
    timed('modules (up to date)', await make(['-j2', 'modules']));
    timed('modules_install', await make([`INSTALL_MOD_PATH=${mods}`, 'modules_install']));
    const release = kernelRelease(out);
    expect(fs.existsSync(path.join(mods, 'lib/modules', release, 'kernel/kernel/configs.ko'))).toBe(true);
    expect(fs.existsSync(path.join(mods, 'lib/modules', release, 'modules.dep'))).toBe(true);
    const { uid, gid } = callerIds(kind);
    expect(await filesNotOwnedBy(mods, uid, gid)).toEqual([]);
  });

  it('tar-pkg: the tarball in O=', async () => {
    timed('tar-pkg', await make(['-j2', 'tar-pkg']));
    const tarball = fs.readdirSync(out).find((f) => /^linux-.*\.tar$/.test(f));
    expect(tarball, fs.readdirSync(out).join(' ')).toBeDefined();
    const { stdout } = await execa('tar', ['-tf', path.join(out, tarball!)]);
    expect(String(stdout).split('\n')).toContain(`boot/vmlinuz-${kernelRelease(out)}`);
  });

  it('bindeb-pkg: the .deb packages beside O=, as natively (not lost in the container), owned by the caller', async () => {
    timed('bindeb-pkg', await make(['-j2', 'bindeb-pkg']));
    const debs = fs.readdirSync(parent).filter((f) => f.endsWith('.deb'));
    const image = debs.find((f) => f.startsWith(`linux-image-${kernelRelease(out)}_`));
    expect(image, `${parent}: ${fs.readdirSync(parent).join(' ')}`).toBeDefined();
    const { stdout } = await execa('dpkg-deb', ['-c', path.join(parent, image!)]);
    expect(String(stdout)).toContain(`./boot/vmlinuz-${kernelRelease(out)}`);
    // The uapi headers (make headers_install) as Debian packages them.
    const libcDev = debs.find((f) => f.startsWith('linux-libc-dev_'));
    expect(libcDev).toBeDefined();
    expect(String((await execa('dpkg-deb', ['-c', path.join(parent, libcDev!)])).stdout)).toMatch(/\/usr\/include\/linux\/types\.h$/m);
    const { uid, gid } = callerIds(kind);
    expect(await filesNotOwnedBy(parent, uid, gid)).toEqual([]);
  });
});

// Device trees (issue 12: `dtbs` for arm64 in the compiler image): no kernel
// build needed, only the configuration and dtc (built from the tree in the
// image). allnoconfig selects no platform; ARCH_VEXPRESS selects Arm's own
// boards, a handful of .dts files.
describe('device trees, linux 6.1 × arm64 on podman (korg-gcc:12-arm64)', () => {
  it("dtbs builds the selected platforms' .dtb files in O=; dtbs_install copies them to INSTALL_DTBS_PATH, owned by the caller", async () => {
    const { image, vars } = TOOLCHAINS.arm64;
    const kind: EngineKind = 'podman';
    const out = tmpDir(kind, 'kbc-matrix-dtbs-');
    const dtbs = tmpDir(kind, 'kbc-matrix-dtbs-install-');
    const make = (args: string[]) => runMake(kind, kernelTree('6.1'), [`CONTAINER=${image}`, `O=${out}`, ...vars, ...args]);
    expectGoodRun(await make(['allnoconfig']), kind, image);
    await execa('bash', [path.join(kernelTree('6.1'), 'scripts/config'), '--file', path.join(out, '.config'), '-e', 'ARCH_VEXPRESS']);
    expectGoodRun(await make(['olddefconfig']), kind, image);
    const built = await make(['-j2', 'dtbs']);
    figures.push(`linux 6.1 × arm64 on podman (${image}): allnoconfig + ARCH_VEXPRESS dtbs ${(built.ms / 1000).toFixed(1)} s`);
    expectGoodRun(built, kind, image);
    const dir = path.join(out, 'arch/arm64/boot/dts/arm');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.dtb'));
    expect(files, fs.readdirSync(dir).join(' ')).toContain('foundation-v8.dtb');
    // A flattened device tree starts with the magic 0xd00dfeed, big-endian.
    for (const f of files) expect(fs.readFileSync(path.join(dir, f)).readUInt32BE(0), f).toBe(0xd00dfeed);
    expectGoodRun(await make([`INSTALL_DTBS_PATH=${dtbs}`, 'dtbs_install']), kind, image);
    expect(
      fs
        .readdirSync(path.join(dtbs, 'arm'))
        .filter((f) => f.endsWith('.dtb'))
        .sort(),
    ).toEqual([...files].sort());
    const { uid, gid } = callerIds(kind);
    expect(await filesNotOwnedBy(out, uid, gid)).toEqual([]);
    expect(await filesNotOwnedBy(dtbs, uid, gid)).toEqual([]);
  });
});

describe('the pristine trees', () => {
  it.each(KERNELS)('linux %s is untouched (no write, no new file, no ownership change)', async (kernel) => {
    expect(await treeSnapshot(kernelTree(kernel))).toBe(pristine.get(kernel));
  });
});
