import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The e2e files by their wall time in the last whole `npm test` (2-core VM,
// seconds, each file alone, its shared builds included; scripts/test.sh prints
// today's): within each lane below, longest first. Files not listed run after
// these, largest first.
const E2E_SECONDS: Record<string, number> = {
  'matrix.test.ts': 809,
  'kselftest.test.ts': 450,
  'images.test.ts': 426,
  'kunit.test.ts': 279,
  'jobserver.test.ts': 214,
  'patches.test.ts': 147,
  'enable.test.ts': 93,
  'core.test.ts': 90,
  'hook.test.ts': 57,
  'ide.test.ts': 43,
  'exec.test.ts': 28,
  'kdocs.test.ts': 10,
};

/** Within a project, its files by E2E_SECONDS, longest first (the unit files keep the base order). */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const bySize = await super.sort(files);
    const rank = (f: TestSpecification) => E2E_SECONDS[path.basename(f.moduleId)] ?? -1;
    // Array.prototype.sort is stable: unlisted files keep the base order (larger first).
    return bySize.sort((a, b) => rank(b) - rank(a));
  }
}

// The e2e files in three sets:
// - BESIDE: files that share nothing with the others (their own O= dirs,
//   trees, image prefixes, containers found by their own mounts), and spend
//   much of their time waiting on a disk, a boot or a registry rather than
//   compiling: they run one at a time, beside the main lane;
// - ALONE: files that assert a time limit (nothing left 1 s after SIGINT)
//   another build on the same two cores would stretch, or that mount an
//   overlay over a pristine tree's or shared build's own path while they run
//   (ide: linux 6.1; patches: linux 7.2 and its shared O= dir), or that list
//   every container of the engine (hook): they run one at a time, after
//   everything else;
// - the main lane: every other file (the ones that share kernel builds,
//   shared-builds.ts, and check the shared O= dirs), one at a time.
const BESIDE = ['images', 'kunit', 'enable', 'exec', 'kdocs'].map((f) => `test/e2e/${f}.test.ts`);
const ALONE = ['boot', 'signals', 'hook', 'ide', 'patches'].map((f) => `test/e2e/${f}.test.ts`);

const e2e = {
  // Kernel builds several files check are built once per run (shared-builds.ts), whichever project asks.
  globalSetup: ['test/e2e/global-setup.ts'],
  testTimeout: 60 * 60_000,
  hookTimeout: 60 * 60_000,
};

// Groups run one after the other (groupOrder): the unit tier (pure tables and
// fake-engine fixture processes, seconds; two workers), then the main e2e lane
// and the BESIDE lane at the same time (two pools, one file at a time each:
// while a BESIDE file waits, the main lane's kernel build has both cores; the
// whole suite took 3784 s one file at a time), then the ALONE files.
export default defineConfig({
  test: {
    sequence: { sequencer: SlowestFirst },
    // Two workers on two cores (vitest's default there is one): the unit tier's.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 15_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...BESIDE, ...ALONE],
          ...e2e,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-beside',
          include: BESIDE,
          ...e2e,
          // Another pool than the main lane's: vitest runs a group's pools at the same time.
          pool: 'threads',
          poolOptions: { threads: { singleThread: true } },
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-alone',
          include: ALONE,
          ...e2e,
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
