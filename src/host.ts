// Facts about this machine and the kernel tree, read from the file system
// before planning; the only place besides supervise that looks outside.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tty from 'node:tty';
import { UserError } from './errors.js';
import { ENGINES, ENGINE_PREFERENCE, type Engine, type HostFacts } from './plan/engines/index.js';
import type { Invocation } from './parse/invocation.js';
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

/** Find the source tree, and create the output directories the build will write, as the caller. */
export function prepareTree(inv: Invocation, { create }: { create: boolean }): TreeFacts {
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
  return tree;
}

/** An output directory (O=) holds a `source` link to its tree; anywhere else the tree is the directory itself. */
export function findTree(cwd: string): TreeFacts {
  const link = path.join(cwd, 'source');
  try {
    if (fs.lstatSync(link).isSymbolicLink() && fs.existsSync(path.join(cwd, 'Makefile'))) {
      return { srctree: fs.realpathSync(link), objtree: cwd };
    }
  } catch {
    // no link: an ordinary tree
  }
  return { srctree: cwd };
}

function ensureDirectory(dir: string): void {
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
