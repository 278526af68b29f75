// Facts about this machine and the kernel tree, read from the file system
// before planning; it only looks. output-dirs.ts is the one that creates.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import { UserError } from './errors.js';
import { ENGINES, ENGINE_PREFERENCE, type Engine, type HostFacts } from './plan/engines/index.js';
import { IN_TREE_OUTPUTS } from './plan/docs.js';
import type { TreeFacts } from './plan/plan-run.js';

/** Find an executable on PATH without spawning anything. */
export function which(command: string, searchPath = process.env.PATH ?? ''): string | undefined {
  if (command.includes('/')) return isExecutable(command) ? command : undefined;
  for (const dir of searchPath.split(':')) {
    const candidate = path.join(dir || '.', command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** CONTAINER_RUNTIME if given, else Podman when installed, else Docker. */
export function findEngine(requested: string | undefined, searchPath?: string): { engine: Engine; path: string } {
  if (requested !== undefined) {
    const engine = ENGINES[path.basename(requested)];
    if (!engine) throw new UserError(`CONTAINER_RUNTIME='${requested}' is not supported; use one of: ${Object.keys(ENGINES).join(', ')}`);
    const found = which(requested, searchPath);
    if (!found) throw new UserError(`${requested} is not installed (not found on PATH); install it or set CONTAINER_RUNTIME to another engine`);
    return { engine, path: found };
  }
  for (const name of ENGINE_PREFERENCE) {
    const found = which(name, searchPath);
    if (found) return { engine: ENGINES[name], path: found };
  }
  throw new UserError(`no container engine found: install podman or docker (neither is on PATH)`);
}

/** Who is calling and from what kind of terminal. */
export function hostFacts(): HostFacts {
  const info = os.userInfo();
  return {
    uid: info.uid,
    gid: info.gid,
    username: info.username,
    hostname: os.hostname(),
    // Not process.stdin.isTTY: that getter builds a stream the runner never reads.
    stdinIsTTY: tty.isatty(0),
    stdoutIsTTY: tty.isatty(1),
  };
}

/** The tree's top-level Makefile, when the host sees one (the wrapper then checks the container does too). */
export function visibleMakefile(tree: TreeFacts): string | undefined {
  const makefile = path.join(tree.srctree, 'Makefile');
  return fs.existsSync(makefile) ? makefile : undefined;
}

/** An output directory (O=) holds a `source` link to its tree; anywhere else the tree is the directory itself. */
export function findTree(cwd: string): TreeFacts {
  const link = path.join(cwd, 'source');
  try {
    if (fs.lstatSync(link).isSymbolicLink() && fs.existsSync(path.join(cwd, 'Makefile'))) {
      const srctree = fs.realpathSync(link);
      return { srctree, objtree: cwd, ...inTreeOutputs(srctree) };
    }
  } catch {
    // no link: an ordinary tree
  }
  return { srctree: cwd, ...inTreeOutputs(cwd) };
}

/** Which of the directories some trees' Makefiles write into the source tree this one has. */
function inTreeOutputs(srctree: string): Pick<TreeFacts, 'inTreeOutputs'> {
  const found = IN_TREE_OUTPUTS.map((o) => o.dir).filter((dir) => fs.existsSync(path.join(srctree, dir)));
  return found.length > 0 ? { inTreeOutputs: found } : {};
}
