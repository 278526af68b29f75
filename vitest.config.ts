import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The e2e files by their wall time in a full `npm test` (2-core VM, seconds,
// measured before builds were shared; see scripts/test.sh for today's): they
// run longest first, so that a failure of the long ones shows early and not
// after 40 minutes; the newest files go before them. Files not listed run after these, largest first.
const E2E_SECONDS: Record<string, number> = {
  // Newest first whatever their length: what is least proven should fail first.
  'kdocs.test.ts': 10_006,
  'kunit.test.ts': 10_005,
  'kselftest.test.ts': 10_004,
  'exec.test.ts': 10_003,
  'hook.test.ts': 10_002,
  'boot.test.ts': 10_001,
  'images.test.ts': 10_000,
  'matrix.test.ts': 1535,
  'jobserver.test.ts': 528,
  'patches.test.ts': 300,
  'signals.test.ts': 250,
  'ide.test.ts': 200,
  'core.test.ts': 150,
  'enable.test.ts': 60,
};

/** The unit tier first (a minute, catches most mistakes), then the e2e files slowest first. */
class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const bySize = await super.sort(files);
    const rank = (f: TestSpecification) => (f.project.name === 'unit' ? Infinity : (E2E_SECONDS[path.basename(f.moduleId)] ?? -1));
    // Array.prototype.sort is stable: unlisted files keep the base order (larger first).
    return bySize.sort((a, b) => rank(b) - rank(a));
  }
}

// Two tiers, each with the timeout its tests need: unit (pure tables and
// fake-engine fixture processes, seconds) and e2e (real engines building real
// kernels, minutes per test). The unit files two at a time (vitest's default
// on 2 cores is one worker), then the e2e files one at a time in one worker
// (singleFork): no build disturbs another file's measurements, and two e2e
// files side by side did not pay here: the whole suite with the e2e files in
// two lanes (870432f) took 4134 s, one at a time 3705 s, the same afternoon
// (the builds are CPU-bound, and the disk is slow under two loads).
export default defineConfig({
  test: {
    sequence: { sequencer: SlowestFirst },
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 15_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Kernel builds several files check are built once per run (shared-builds.ts).
          globalSetup: ['test/e2e/global-setup.ts'],
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 60 * 60_000,
          hookTimeout: 60 * 60_000,
        },
      },
    ],
  },
});
