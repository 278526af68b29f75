// One directory per `vitest run` for the kernel builds several e2e files share
// (shared-builds.ts), removed when the run ends, whatever failed. Every e2e
// project (vitest.config.ts: the main lane, the BESIDE lane, the ALONE files)
// runs this setup, in vitest's own process: they get the same directory, and
// the last teardown removes it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where shared-builds.ts keeps each build's O= dir and recorded results. */
    sharedBuildsDir: string;
  }
}

const KEY = Symbol.for('kbuild-container.e2e.sharedBuildsDir');
type Holder = { [KEY]?: { dir: string; projects: number } };

export default function setup(project: TestProject): () => void {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-e2e-builds-'));
    // The rootless user must reach its builds' O= dirs below.
    fs.chmodSync(dir, 0o755);
    holder[KEY] = { dir, projects: 0 };
  }
  const shared = holder[KEY];
  shared.projects++;
  project.provide('sharedBuildsDir', shared.dir);
  return () => {
    if (--shared.projects > 0) return;
    fs.rmSync(shared.dir, { recursive: true, force: true });
    delete holder[KEY];
  };
}
