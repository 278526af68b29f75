// Before planning, the directories the build writes to (O=, INSTALL_*PATH, and
// source directories redirected under O=) are
// created here as the caller: a container engine would create them root-owned
// (Docker) or refuse a missing mount source (Podman).
import fs from 'node:fs';
import { UserError } from './errors.js';
import { findTree } from './host.js';
import type { Invocation } from './parse/invocation.js';
import { planMounts, type TreeFacts } from './plan/plan-run.js';

/** Find the source tree, check every path to mount, and create the output directories the build will write, as the caller. */
export function findTreeAndCreateOutputDirs(inv: Invocation, { create }: { create: boolean }): TreeFacts {
  const tree = findTree(inv.cwd);
  // Checked before anything is created: a refused run leaves no trace.
  for (const m of [tree.srctree, inv.cwd, inv.outputDir, inv.extModDir, ...inv.installDirs]) {
    if (m !== undefined && /[:,]/.test(m)) throw new UserError(`${m}: a path with ':' or ',' cannot be mounted into a container`);
  }
  for (const dir of [inv.outputDir, ...inv.installDirs]) {
    if (dir !== undefined && create) ensureDirectory(dir);
    else if (dir !== undefined && fs.existsSync(dir) && !isDirectory(dir)) throw notADirectory(dir);
  }
  if (inv.extModDir !== undefined && !isDirectory(inv.extModDir)) {
    throw new UserError(`M=${inv.extModDir}: no such directory`);
  }
  // Source directories redirected under O= (IN_TREE_OUTPUTS) must exist to be mounted.
  if (create) for (const m of planMounts(inv, tree)) if (m.source !== undefined) ensureDirectory(m.source);
  return tree;
}

/** Create `dir` (and its parents) as the caller; one UserError when it cannot be, or is not a directory. */
export function ensureDirectory(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw notADirectory(dir);
    throw new UserError(`${dir}: cannot create output directory: ${(err as Error).message}`);
  }
  if (!isDirectory(dir)) throw notADirectory(dir);
}

function notADirectory(dir: string): UserError {
  return new UserError(`${dir}: exists and is not a directory (O= and INSTALL_*PATH must name directories)`);
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
