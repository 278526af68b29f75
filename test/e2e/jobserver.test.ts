// Issue 4: `make -jN` means N jobs in total across the container boundary.
// Tiny Makefiles whose jobs log when they start and end prove which pool the
// inner make used (the V=1 note says which of the three ways ran) and that
// every way of asking for jobs behaves as natively; real kernel builds prove
// that no jobserver warning appears and that the number of compilers at work,
// sampled on the host, stays within the pool.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  FRAGMENT,
  compilersIn,
  containersMounting,
  kernelTree,
  runMake,
  runtimeOf,
  sampleProcesses,
  scratchDir,
  startMake,
  stopRunningMakes,
  waitFor,
  type EngineKind,
  type MakeHandle,
  QUICK_CONFIG,
} from './support.js';
import { BOOT_BUILDS, builtElsewhere, sharedBuild, tinyBzImage61 } from './shared-builds.js';

// A test that timed out or failed half-way must not leave its build running.
afterEach(stopRunningMakes, 30_000);

/** GNU make 4.4.1 beside the host's 4.3 (scripts/setup-make44.sh). */
const MAKE44 = '/opt/kbuild-container/make-4.4/usr/bin/make';
/** What make 4.3/4.4 print when a jobserver is lost or mangled on the way. */
const WARNING = /forced in submake|invalid --jobserver-auth|jobserver unavailable|resetting jobserver mode|jobserver.*not available/;
/** The three V=1 notes of src/plan/jobserver.ts describeJobserver. */
const NOTES = {
  pipe: /^kbuild-container: sharing make's jobserver pipe with the container \((podman) --preserve-fds\)$/,
  fifo: /^kbuild-container: sharing make's jobserver FIFO \/\S+ with the container$/,
  fallback: /^kbuild-container: (docker) cannot pass make's jobserver pipe; the container runs its own pool of (\d+|unlimited) jobs$/,
};
type Note = keyof typeof NOTES;

const figures: string[] = [];
const scratch: string[] = [];
const dirsByKind = new Map<EngineKind, string[]>();

function scratchFor(kind: EngineKind, prefix: string): string {
  const dir = scratchDir(kind, prefix);
  scratch.push(dir);
  dirsByKind.set(kind, [...(dirsByKind.get(kind) ?? []), dir]);
  return dir;
}

/** The notes among a run's stderr lines. */
function notesIn(stderr: string): Note[] {
  return stderr.split('\n').flatMap((line) => (Object.keys(NOTES) as Note[]).filter((n) => NOTES[n].test(line)));
}

// ---------------------------------------------------------------------------
// Tiny Makefiles: each job appends "start T" and "end T" to ./log.

/** A Makefile of `jobs` independent jobs of `seconds` each. */
function jobsMakefile(jobs: number, seconds: number): string {
  const names = Array.from({ length: jobs }, (_, i) => `job${i + 1}`);
  return [`all: ${names.join(' ')}`, 'job%:', `\t@echo "start $$(date +%s.%N)" >> log; sleep ${seconds}; echo "end $$(date +%s.%N)" >> log`, ''].join('\n');
}

/** The most jobs that ran at once, from the logs of one or more directories (one clock: the host's). */
function maxOverlap(dirs: string[]): number {
  const events = dirs
    .flatMap((d) => fs.readFileSync(path.join(d, 'log'), 'utf8').split('\n').filter(Boolean))
    .map((l) => l.split(' '))
    .map(([what, t]) => ({ t: Number(t), d: what === 'start' ? 1 : -1 }))
    // An end and a start at the same instant: the end first.
    .sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (now += e.d));
  return max;
}

function resetLogs(dirs: string[]): void {
  for (const d of dirs) fs.rmSync(path.join(d, 'log'), { force: true });
}

interface FlagCase {
  name: string;
  kind?: EngineKind;
  make?: string;
  args: string[];
  env?: Record<string, string>;
  image?: string;
  /** The V=1 note the runner must print, none when the inner make gets its own -j as typed. */
  note?: Note;
}

const FLAG_CASES: FlagCase[] = [
  { name: 'no -j', args: [] },
  { name: '-j1', args: ['-j1'] },
  { name: 'bare -j', args: ['-j'] },
  { name: 'MAKEFLAGS=-j4 in the environment', args: [], env: { MAKEFLAGS: '-j4' }, note: 'pipe' },
  { name: '-j2, make 4.3 (pipe)', args: ['-j2'], note: 'pipe' },
  { name: '-j2, make 4.3 (pipe), docker', kind: 'docker', args: ['-j2'], note: 'fallback' },
  { name: '-j2, make 4.4 (FIFO)', make: MAKE44, args: ['-j2'], note: 'fifo' },
  { name: '-j2 --jobserver-style=pipe, make 4.4', make: MAKE44, args: ['-j2', '--jobserver-style=pipe'], note: 'pipe' },
  { name: '-j3, make 4.4 (FIFO), make 4.4 inside', make: MAKE44, args: ['-j3'], image: 'korg-gcc:14', note: 'fifo' },
];

describe('each way of asking for jobs runs as many at once as native make', () => {
  it.each(FLAG_CASES)(
    '$name',
    async ({ kind = 'podman', make = 'make', args, env = {}, image = 'korg-gcc:12', note }) => {
      const dir = scratchFor(kind, 'kbc-js-flags-');
      fs.writeFileSync(path.join(dir, 'Makefile'), jobsMakefile(6, 0.5));

      const native = await execa(make, args, { cwd: dir, env, reject: false });
      expect(native.exitCode, String(native.stderr)).toBe(0);
      const nativeMax = maxOverlap([dir]);
      resetLogs([dir]);

      const r = await startMake(kind, dir, [...args, `CONTAINER=${image}`, 'V=1'], { make, env }).result;
      expect(r.exitCode, r.stderr).toBe(0);
      const containerMax = maxOverlap([dir]);
      figures.push(
        `flags ${JSON.stringify(args)}${env.MAKEFLAGS ? ` MAKEFLAGS=${env.MAKEFLAGS}` : ''} ${make === MAKE44 ? 'make 4.4' : 'make 4.3'} ${kind} ${image}: native ${nativeMax} at once, container ${containerMax}; note ${notesIn(r.stderr).join(',') || 'none'}`,
      );

      expect(containerMax).toBe(nativeMax);
      expect(notesIn(r.stderr)).toEqual(note ? [note] : []);
      expect(r.stderr).not.toMatch(WARNING);
    },
    120_000,
  );
});

interface SharedCase {
  name: string;
  kind: EngineKind;
  make: string;
  images: [string, string];
  note: Note;
  shared: boolean;
}

const SHARED_CASES: SharedCase[] = [
  { name: 'podman, make 4.3: the pipe goes in', kind: 'podman', make: 'make', images: ['korg-gcc:12', 'korg-gcc:12'], note: 'pipe', shared: true },
  { name: 'rootless podman, make 4.3: the pipe goes in', kind: 'rootless', make: 'make', images: ['korg-gcc:12', 'korg-gcc:12'], note: 'pipe', shared: true },
  {
    name: 'podman, make 4.4: the FIFO goes in (make 4.4 and 4.3 inside)',
    kind: 'podman',
    make: MAKE44,
    images: ['korg-gcc:14', 'korg-gcc:12'],
    note: 'fifo',
    shared: true,
  },
  {
    name: 'docker, make 4.4: the FIFO goes in (make 4.3 and 4.4 inside)',
    kind: 'docker',
    make: MAKE44,
    images: ['korg-gcc:12', 'korg-gcc:14'],
    note: 'fifo',
    shared: true,
  },
  {
    name: 'docker, make 4.3: no pipe, each container runs its own pool',
    kind: 'docker',
    make: 'make',
    images: ['korg-gcc:12', 'korg-gcc:12'],
    note: 'fallback',
    shared: false,
  },
];

/** A parent Makefile whose two jobs each run a container build (`+$(MAKE) -f Makefile.container ...`). */
function parentMakefile(kind: EngineKind, subs: { dir: string; image: string; args: string[] }[]): string {
  const names = subs.map((_, i) => `sub${i + 1}`);
  const lines = [`all: ${names.join(' ')}`, `.PHONY: all ${names.join(' ')}`];
  subs.forEach((s, i) => {
    lines.push(`${names[i]}:`, `\t+$(MAKE) -C ${s.dir} -f ${FRAGMENT} CONTAINER=${s.image} CONTAINER_RUNTIME=${runtimeOf(kind)} ${s.args.join(' ')}`);
  });
  return lines.join('\n') + '\n';
}

describe('two container builds as the two jobs of one make -j2', () => {
  it.each(SHARED_CASES)(
    '$name',
    async ({ kind, make, images, note, shared }) => {
      const parent = scratchFor(kind, 'kbc-js-parent-');
      const subs = images.map((image, i) => {
        const dir = path.join(parent, `sub${i + 1}`);
        fs.mkdirSync(dir);
        if (kind === 'rootless') fs.chownSync(dir, fs.statSync(parent).uid, fs.statSync(parent).gid);
        fs.writeFileSync(path.join(dir, 'Makefile'), jobsMakefile(4, 1));
        return { dir, image, args: [] };
      });
      fs.writeFileSync(path.join(parent, 'Makefile'), parentMakefile(kind, subs));

      const r = await startMake(kind, parent, ['-j2', 'V=1'], { make, fragment: false }).result;
      expect(r.exitCode, r.stderr).toBe(0);
      const max = maxOverlap(subs.map((s) => s.dir));
      figures.push(
        `two containers under one ${make === MAKE44 ? 'make 4.4' : 'make 4.3'} -j2, ${kind} ${images.join('+')}: ${max} jobs at once (${shared ? 'shared pool' : 'own pools'})`,
      );

      expect(notesIn(r.stderr)).toEqual([note, note]);
      expect(r.stderr).not.toMatch(WARNING);
      // Shared: 8 jobs of 1 s, never more than the parent's 2 slots (and the pool is used).
      // Own pools: each container runs its own -j2, 4 at once.
      if (shared) expect(max).toBe(2);
      else expect(max).toBeGreaterThan(2);
    },
    120_000,
  );
});

// ---------------------------------------------------------------------------
// Real kernel builds, compilers sampled on the host.

const TREE61 = kernelTree('6.1');
const TREE612 = kernelTree('6.12');

interface Sampled {
  max: number;
  mean: number;
  samples: number;
  seconds: number;
}

function summarise(samples: number[], ms: number): Sampled {
  return {
    max: Math.max(0, ...samples),
    mean: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0,
    samples: samples.length,
    seconds: ms / 1000,
  };
}

function describeSample(what: string, s: Sampled): string {
  return `${what}: compile jobs (cc1 on a source file) at once max ${s.max}, mean ${s.mean.toFixed(2)} (${s.samples} samples over ${s.seconds.toFixed(0)} s)`;
}

/** Run `handle` for at most `windowMs` while sampling compilers in `dirs`; stop it with SIGINT to its group if still running. */
async function sampleWhile(handle: MakeHandle, dirs: string[], windowMs?: number) {
  const start = Date.now();
  const sampling = sampleProcesses(compilersIn(dirs));
  let timer: NodeJS.Timeout | undefined;
  let interrupted = false;
  if (windowMs !== undefined) {
    timer = setTimeout(() => {
      interrupted = true;
      process.kill(-handle.pid, 'SIGINT');
    }, windowMs);
  }
  const result = await handle.result;
  if (timer) clearTimeout(timer);
  const samples = await sampling.stop();
  return { result, interrupted, sampled: summarise(samples, Date.now() - start) };
}

async function configure(kind: EngineKind, tree: string, dir: string, image = 'korg-gcc:12'): Promise<void> {
  const r = await runMake(kind, tree, [`CONTAINER=${image}`, `O=${dir}`, QUICK_CONFIG]);
  expect(r.exitCode, r.stderr).toBe(0);
}

describe('real kernel builds (bzImage; linux 6.1, tinyconfig to the end, allnoconfig where sampled for a while)', () => {
  it('podman: -j1 never runs two compilers; -j2 runs at most two; no jobserver warning', async () => {
    const dir = scratchFor('podman', 'kbc-js-kernel-');
    await configure('podman', TREE61, dir);

    // -j1 for a while, in a directory of its own (then dropped).
    const one = await sampleWhile(startMake('podman', TREE61, ['CONTAINER=korg-gcc:12', `O=${dir}`, '-j1', 'bzImage']), [dir], 20_000);
    figures.push(describeSample('podman -j1 (first 20 s)', one.sampled));
    expect(one.interrupted, 'the -j1 build ended within 20 s').toBe(true);
    expect(one.sampled.max).toBe(1);
    expect(one.result.stderr).not.toMatch(WARNING);

    // -j2 from tinyconfig to the end: the shared build (core.test.ts checks it
    // too), whose compile jobs were sampled the same way while it ran.
    const shared = await sharedBuild(tinyBzImage61('podman'));
    dirsByKind.set('podman', [...(dirsByKind.get('podman') ?? []), shared.out]);
    expect(shared.configure.exitCode, shared.configure.stderr).toBe(0);
    const two = { result: shared.build, sampled: summarise(shared.compilerSamples, shared.build.ms) };
    figures.push(describeSample(`podman -j2 (from tinyconfig to the end${builtElsewhere(shared)})`, two.sampled));
    expect(two.result.exitCode, two.result.stderr.slice(-3000)).toBe(0);
    expect(fs.existsSync(path.join(shared.out, 'arch/x86/boot/bzImage'))).toBe(true);
    expect(two.result.stderr).not.toMatch(WARNING);
    expect(two.sampled.max).toBeLessThanOrEqual(2);
    expect(two.sampled.max).toBe(2); // the pool is used, not only bounded
  }, 900_000);

  // Docker's build is linux 7.2's bootable one (boot.test.ts boots it, core.test.ts checks it): same korg-gcc:12, make 4.3, -j2.
  it('docker (linux 7.2, the bootable configuration): -j2 to the end with no jobserver warning (its own pool of 2)', async () => {
    const shared = await sharedBuild(BOOT_BUILDS.x86_64_72);
    dirsByKind.set('docker', [...(dirsByKind.get('docker') ?? []), shared.out]);
    expect(shared.configure.exitCode, shared.configure.stderr).toBe(0);
    const run = { result: shared.build, sampled: summarise(shared.compilerSamples, shared.build.ms) };
    figures.push(describeSample(`docker -j2, linux 7.2 (to the end${builtElsewhere(shared)})`, run.sampled));
    expect(run.result.exitCode, run.result.stderr.slice(-3000)).toBe(0);
    expect(run.result.stderr).not.toMatch(WARNING);
    expect(run.sampled.max).toBeLessThanOrEqual(2);
  }, 900_000);

  describe('two kernel builds as the two jobs of one make -j2', () => {
    let c1: string;
    let c2: string;
    beforeAll(async () => {
      c1 = scratchFor('podman', 'kbc-js-pair-');
      c2 = scratchFor('podman', 'kbc-js-pair-');
      await configure('podman', TREE61, c1);
      await configure('podman', TREE61, c2);
    }, 300_000);

    // Bound: the parent's 2 slots. Each sub-make's free (implicit) job slot
    // is the slot its parent's recipe already occupies, all the way down
    // (parent make → Makefile.container make → runner → inner make → Kbuild's
    // sub-makes), so implicit slots do not add up: at most 2 compile jobs of
    // both builds at any instant, counted as cc1 processes (one per compile
    // job, HOSTCC included; compiler probes run by $(shell) are outside
    // make's slots, natively too, and not counted) working in either O= dir.
    it('podman (pipe passed in): never more than 2 compilers of both builds together', async () => {
      const parent = scratchFor('podman', 'kbc-js-parent-');
      fs.writeFileSync(
        path.join(parent, 'Makefile'),
        parentMakefile(
          'podman',
          [c1, c2].map((dir) => ({ dir: TREE61, image: 'korg-gcc:12', args: [`O=${dir}`, 'bzImage'] })),
        ),
      );
      const run = await sampleWhile(startMake('podman', parent, ['-j2'], { fragment: false }), [c1, c2], 30_000);
      figures.push(describeSample('two podman builds under one make -j2, shared pipe (first 30 s)', run.sampled));
      expect(run.interrupted).toBe(true);
      expect(run.result.stdout + run.result.stderr).not.toMatch(WARNING);
      expect(run.sampled.max).toBeLessThanOrEqual(2);
      await expectNoContainers('podman', [c1, c2]);
    }, 300_000);

    it('docker (no pipe): V=1 says each container runs its own pool, and together they exceed 2', async () => {
      const parent = scratchFor('docker', 'kbc-js-parent-');
      fs.writeFileSync(
        path.join(parent, 'Makefile'),
        parentMakefile(
          'docker',
          [c1, c2].map((dir) => ({ dir: TREE61, image: 'korg-gcc:12', args: [`O=${dir}`, 'bzImage'] })),
        ),
      );
      const run = await sampleWhile(startMake('docker', parent, ['-j2', 'V=1'], { fragment: false }), [c1, c2], 30_000);
      figures.push(describeSample('two docker builds under one make -j2, own pools (first 30 s)', run.sampled));
      expect(run.interrupted).toBe(true);
      expect(notesIn(run.result.stderr)).toEqual(['fallback', 'fallback']);
      expect(run.result.stdout + run.result.stderr).not.toMatch(WARNING);
      expect(run.sampled.max).toBeGreaterThan(2);
      await expectNoContainers('docker', [c1, c2]);
    }, 300_000);

    it('make 4.4 (FIFO) with make 4.4 (linux 6.12, korg-gcc:14) and make 4.3 (linux 6.1, korg-gcc:12) inside: no warning, at most 2', async () => {
      const f1 = scratchFor('podman', 'kbc-js-fifo-');
      await configure('podman', TREE612, f1, 'korg-gcc:14');
      const parent = scratchFor('podman', 'kbc-js-parent-');
      fs.writeFileSync(
        path.join(parent, 'Makefile'),
        parentMakefile('podman', [
          { dir: TREE612, image: 'korg-gcc:14', args: [`O=${f1}`, 'bzImage'] },
          { dir: TREE61, image: 'korg-gcc:12', args: [`O=${c1}`, 'bzImage'] },
        ]),
      );
      const run = await sampleWhile(startMake('podman', parent, ['-j2'], { fragment: false, make: MAKE44 }), [f1, c1], 30_000);
      figures.push(describeSample('make 4.4 -j2 over korg-gcc:14 (6.12) + korg-gcc:12 (6.1), shared FIFO (first 30 s)', run.sampled));
      expect(run.interrupted).toBe(true);
      expect(run.result.stdout + run.result.stderr).not.toMatch(WARNING);
      expect(run.sampled.max).toBeLessThanOrEqual(2);
      await expectNoContainers('podman', [f1, c1]);
    }, 300_000);
  });
});

/** No container of ours still mounts `dirs` within 5 s (the interrupted runs cleaned up). */
async function expectNoContainers(kind: EngineKind, dirs: string[]): Promise<void> {
  await waitFor(async () => (await containersMounting(kind, dirs)).length === 0, 5000, 100);
  expect(await containersMounting(kind, dirs)).toEqual([]);
}

beforeAll(() => {
  if (!fs.existsSync(MAKE44)) throw new Error(`${MAKE44} missing: run scripts/setup-make44.sh`);
});

afterAll(async () => {
  console.log(['jobserver figures (2-core VM; counts are cc1 processes of the build, read from /proc every ~100 ms):', ...figures].join('\n'));
  const left: string[] = [];
  for (const [kind, dirs] of dirsByKind) left.push(...(await containersMounting(kind, dirs)).map((c) => `${kind} ${c}`));
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  expect(left, 'containers left behind').toEqual([]);
}, 120_000);
