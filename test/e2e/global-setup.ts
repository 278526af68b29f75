// One directory per `vitest run` for the kernel builds several e2e files share
// (shared-builds.ts), removed when the run ends, whatever failed.
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

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-e2e-builds-'));
  // The rootless user must reach its builds' O= dirs below.
  fs.chmodSync(dir, 0o755);
  project.provide('sharedBuildsDir', dir);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
