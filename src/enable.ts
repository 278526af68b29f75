// Zero-touch enabling: a GNUmakefile (read by GNU make before Makefile) that
// includes the fragment when CONTAINER is set and the kernel's Makefile otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './errors.js';

const MARK = '# kbuild-container: enabled';
const EXCLUDE_LINE = '/GNUmakefile';

/** The Makefile.container shipped with this package. */
export function fragmentPath(): string {
  return fileURLToPath(new URL('../make/Makefile.container', import.meta.url));
}

/** The GNUmakefile text: the kernel's Makefile unchanged unless CONTAINER is set. */
export function gnumakefileText(fragment: string): string {
  return [`${MARK} (undo with: kbuild-container disable)`, 'ifeq ($(CONTAINER),)', 'include Makefile', 'else', `include ${fragment}`, 'endif', ''].join('\n');
}

/** Write the GNUmakefile into a kernel tree and hide it from git. */
export function enableTree(dir: string, fragment = fragmentPath()): string {
  const tree = checkKernelTree(dir);
  const file = path.join(tree, 'GNUmakefile');
  if (fs.existsSync(file) && !isOurs(file)) throw new UserError(`${file} exists and was not written by kbuild-container; not touching it`);
  fs.writeFileSync(file, gnumakefileText(fragment));
  const exclude = gitExcludeFile(tree);
  if (exclude) {
    const text = fs.existsSync(exclude) ? fs.readFileSync(exclude, 'utf8') : '';
    if (!text.split('\n').includes(EXCLUDE_LINE)) {
      fs.mkdirSync(path.dirname(exclude), { recursive: true });
      fs.writeFileSync(exclude, text + (text === '' || text.endsWith('\n') ? '' : '\n') + EXCLUDE_LINE + '\n');
    }
  }
  return file;
}

/** Remove exactly what enableTree wrote. */
export function disableTree(dir: string): string {
  const tree = checkKernelTree(dir);
  const file = path.join(tree, 'GNUmakefile');
  if (fs.existsSync(file)) {
    if (!isOurs(file)) throw new UserError(`${file} was not written by kbuild-container; not removing it`);
    fs.rmSync(file);
  }
  const exclude = gitExcludeFile(tree);
  if (exclude && fs.existsSync(exclude)) {
    const lines = fs.readFileSync(exclude, 'utf8').split('\n');
    const kept = lines.filter((l) => l !== EXCLUDE_LINE);
    if (kept.length !== lines.length) fs.writeFileSync(exclude, kept.join('\n'));
  }
  return file;
}

function checkKernelTree(dir: string): string {
  const tree = path.resolve(dir);
  if (!fs.existsSync(path.join(tree, 'Makefile')) || !fs.existsSync(path.join(tree, 'Kbuild'))) {
    throw new UserError(`${tree} is not a kernel source tree (no Makefile and Kbuild)`);
  }
  return tree;
}

function isOurs(file: string): boolean {
  return fs.readFileSync(file, 'utf8').startsWith(MARK);
}

/** .git/info/exclude of a checkout whose top is `tree`, or undefined. */
function gitExcludeFile(tree: string): string | undefined {
  const git = path.join(tree, '.git');
  try {
    if (fs.statSync(git).isDirectory()) return path.join(git, 'info', 'exclude');
    // A worktree or submodule: ".git" is a file naming the real directory.
    const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(git, 'utf8'));
    if (m) return path.join(path.resolve(tree, m[1].trim()), 'info', 'exclude');
  } catch {
    // not a git checkout
  }
  return undefined;
}
